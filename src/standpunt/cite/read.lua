--[[
A position's texts as one pandoc document: pandoc's custom reader for `standpunt.cite.citeproc`.

Input (stdin) is JSON: {"format": "<pandoc Markdown format>", "texts": [[key, markdown], ...],
"aliases": {written key: evidence key, ...}}. A citation of an alias (`[@doi:10.…]`) is read as
a citation of the evidence key it names, before citeproc sees it, so a work cited both ways is
one work: one bibliography entry, one number, "ibid." across both.
Each text is read on its own, so no text can open or close a block of another (an unclosed
code fence or `:::` stays in its text) and a note label or link reference means the same in
every text. Citeproc then sees all texts in one document, so numbering, "ibid." and the
bibliography are right across texts. The document is, in order:

  one Div per text, its key in the attribute `standpunt-text`;
  the Div `refs`, where citeproc puts the bibliography.

A YAML block inside a text is read (so it is not text) but its settings are dropped: a text
cannot change how its position is cited. shape.lua writes the document.
]]

--- Header identifiers used so far, in order, and as a set.
local used = {}
local seen = {}

--- Markdown that registers every identifier used so far, so that the headers of the next text
--- get identifiers unique across texts, exactly as pandoc makes them within one document.
local function earlier_headers()
  local parts = {}
  for _, identifier in ipairs(used) do
    local quoted = identifier:gsub('[\\"]', '\\%0')
    parts[#parts + 1] = '# {id="' .. quoted .. '"}\n\n'
  end
  return table.concat(parts)
end

local function remember_headers(blocks)
  blocks:walk {
    Header = function(header)
      local identifier = header.identifier
      if identifier ~= '' and not seen[identifier] then
        seen[identifier] = true
        used[#used + 1] = identifier
      end
    end,
  }
end

--- The identifier `refs` is where citeproc puts the bibliography; a text's own `refs` div
--- would take it away from the place the template gives it.
local function without_refs(blocks)
  return blocks:walk {
    Div = function(div)
      if div.identifier == 'refs' then
        div.identifier = ''
        return div
      end
    end,
  }
end

--- The reader options of pandoc's command line (its `--columns` decides when a pipe table's
--- columns get widths, its abbreviations where a space does not break), as a plain table:
--- handing over pandoc's own object costs more than most reads.
local function reading(options)
  local chosen = {}
  for _, name in ipairs { 'abbreviations', 'columns', 'default_image_extension',
    'indented_code_classes', 'standalone', 'strip_comments', 'tab_stop', 'track_changes' } do
    chosen[name] = options[name]
  end
  return chosen
end

--- Citations of an alias (a DOI) as citations of the evidence key it stands for.
local function unaliased(blocks, aliases)
  if aliases == nil or next(aliases) == nil then
    return blocks
  end
  return blocks:walk {
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        local key = aliases[citation.id]
        if key ~= nil then
          citation.id = key
        end
      end
      return cite
    end,
  }
end

function Reader(input, options)
  local request = pandoc.json.decode(tostring(input), false)
  options = reading(options)
  local document = pandoc.Blocks {}
  for _, text in ipairs(request.texts) do
    local key, markdown = text[1], text[2]
    local earlier = #used
    local read = pandoc.read(earlier_headers() .. markdown, request.format, options).blocks
    local blocks = pandoc.Blocks {}
    for index = earlier + 1, #read do
      blocks:insert(read[index])
    end
    blocks = unaliased(without_refs(blocks), request.aliases)
    remember_headers(blocks)
    document:insert(pandoc.Div(blocks, pandoc.Attr('', {}, { { 'standpunt-text', key } })))
  end
  document:insert(pandoc.Div({}, pandoc.Attr('refs')))
  return pandoc.Pandoc(document)
end
