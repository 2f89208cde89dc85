--[[
A position as one document for Word: pandoc's custom reader for `standpunt.build.docx`.

Input (stdin) is JSON:

  {"format": "<pandoc Markdown format>",
   "meta": {"title": ..., "subtitle": ..., "lang": ..., "date": ..., "author": [...],
            "standpunt-position": id, "standpunt-fingerprint": "sha256:..."},
   "labels": {"summary": ..., "recommendations": ..., "references": ...},
   "summary": markdown or null,
   "recommendations": [markdown, ...],
   "sections": [{"title": markdown, "body": markdown, "quote": markdown or null}, ...],
   "aliases": {written key: evidence key, ...},
   "references": [CSL-JSON item, ...]}

Each text is read on its own. The document's structure is what `docx-import` reads back, by
the bookmarks Word keeps on headings: `standpunt-summary`, `standpunt-asks` (followed by the
asks as one numbered list), `standpunt-section-N` (a section's title; its body follows, and its
pull quote as a paragraph in the style "Standpunt Quote"), `standpunt-references`. A heading
inside a text is moved one level down, so that level 1 stays the sections'.
]]

--- Each citation's suffix as written (", blz. 150"), in document order: the fields keep it, so
--- that a copy read back says what the text said, label and all (citeproc only sees labels
--- made ready for it by locators.lua).
local suffixes = {}

local function read_text(markdown, format, aliases)
  local doc = pandoc.read(markdown, format)
  return doc.blocks:walk {
    Header = function(header)
      header.level = math.min(header.level + 1, 6)
      header.identifier = ''
      return header
    end,
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        citation.id = aliases[citation.id] or citation.id
        suffixes[#suffixes + 1] = pandoc.utils.stringify(citation.suffix)
      end
      return cite
    end,
  }
end

local function inlines(markdown, format, aliases)
  local blocks = read_text(markdown, format, aliases)
  return pandoc.utils.blocks_to_inlines(blocks)
end

local function heading(text, identifier)
  return pandoc.Header(1, text, pandoc.Attr(identifier, { 'unnumbered' }))
end

function Reader(input, options)
  local request = pandoc.json.decode(tostring(input), false)
  local format = request.format
  local aliases = request.aliases or {}
  local labels = request.labels
  local blocks = pandoc.Blocks {}
  if request.summary ~= pandoc.json.null and request.summary then
    blocks:insert(heading(labels.summary, 'standpunt-summary'))
    blocks:extend(read_text(request.summary, format, aliases))
  end
  if #request.recommendations > 0 then
    blocks:insert(heading(labels.recommendations, 'standpunt-asks'))
    local items = {}
    for _, ask in ipairs(request.recommendations) do
      items[#items + 1] = read_text(ask, format, aliases)
    end
    blocks:insert(pandoc.OrderedList(items))
  end
  for index, section in ipairs(request.sections) do
    blocks:insert(pandoc.Header(1, inlines(section.title, format, aliases),
      pandoc.Attr('standpunt-section-' .. index)))
    blocks:extend(read_text(section.body, format, aliases))
    if section.quote ~= pandoc.json.null and section.quote then
      blocks:insert(pandoc.Div(read_text(section.quote, format, aliases),
        pandoc.Attr('', {}, { ['custom-style'] = 'Standpunt Quote' })))
    end
  end
  blocks:insert(heading(labels.references, 'standpunt-references'))
  blocks:insert(pandoc.Div({}, pandoc.Attr('refs')))
  local meta = {
    ['standpunt-references'] = pandoc.json.encode(request.references),
    ['standpunt-suffixes'] = pandoc.json.encode(suffixes),
  }
  for key, value in pairs(request.meta) do
    if value ~= pandoc.json.null then
      meta[key] = value
    end
  end
  return pandoc.Pandoc(blocks, meta)
end
