--[[
A position's texts as one pandoc document: pandoc's custom reader for `standpunt.cite.citeproc`.

Input (stdin) is JSON:

  {"format": "<pandoc Markdown format>",
   "texts": [[key, markdown], ...],
   "pieces": [[piece key, text key, part], ...],
   "aliases": {written key: evidence key, ...}}

`pieces` is the order in which the page prints the texts, the reading order: a whole text (part
"") or a part of one ("lead": its blocks up to and including its first paragraph; "rest": the
blocks after). Each text is read on its own, when its first piece comes, so no text can open or
close a block of another (an unclosed code fence or `:::` stays in its text) and a note label
or link reference means the same in every text. Citeproc then sees all pieces in one document,
in reading order, so numbering, first and subsequent forms, "ibid." and note numbers follow the
printed page. The document is, in order:

  one Div per piece, its key in the attribute `standpunt-text`;
  the Div `refs`, where citeproc puts the bibliography.

A citation of a key in `aliases` (`@doi:10.1000/x`) cites the evidence it names. A YAML block
inside a text is read (so it is not text) but its settings are dropped: a text cannot change how
its position is cited. shape.lua writes the document.
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

--- `blocks` cut after the first paragraph: the lead and the rest (all lead if none is).
local function split(blocks)
  local lead, rest, cut = pandoc.Blocks {}, pandoc.Blocks {}, false
  for _, block in ipairs(blocks) do
    if cut then rest:insert(block) else lead:insert(block) end
    if block.t == 'Para' then cut = true end
  end
  return { lead = lead, rest = rest }
end

--- Citations of an alias cite the evidence it stands for.
local function resolved(blocks, aliases)
  if next(aliases) == nil then return blocks end
  return blocks:walk {
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        citation.id = aliases[citation.id] or citation.id
      end
      return cite
    end,
  }
end

--- The document with its citations numbered as pandoc's Markdown reader numbers them in one
--- document: each citation outside a note, and each note, takes the next number, and the
--- citations inside a note take the note's. Each text was read on its own, so its numbers
--- started again at 1; citeproc decides "ibid." and "near note" by these numbers.
local function numbered(blocks)
  local count = 0
  local function number_all(cite, number)
    for _, citation in ipairs(cite.citations) do citation.note_num = number end
    return cite
  end
  return blocks:walk {
    traverse = 'topdown',
    Note = function(note)
      count = count + 1
      local number = count
      note.content = note.content:walk { Cite = function(cite) return number_all(cite, number) end }
      return note, false
    end,
    Cite = function(cite)
      count = count + 1
      return number_all(cite, count)
    end,
  }
end

function Reader(input, options)
  local request = pandoc.json.decode(tostring(input), false)
  options = reading(options)
  local markdown, read = {}, {}
  for _, text in ipairs(request.texts) do markdown[text[1]] = text[2] end
  local document = pandoc.Blocks {}
  for _, piece in ipairs(request.pieces) do
    local key, text, part = piece[1], piece[2], piece[3]
    if read[text] == nil then
      local earlier = #used
      local blocks = pandoc.read(earlier_headers() .. markdown[text], request.format, options).blocks
      local own = pandoc.Blocks {}
      for index = earlier + 1, #blocks do own:insert(blocks[index]) end
      own = resolved(without_refs(own), request.aliases or {})
      remember_headers(own)
      read[text] = split(own)
      read[text][''] = own
    end
    document:insert(pandoc.Div(read[text][part], pandoc.Attr('', {}, { { 'standpunt-text', key } })))
  end
  document:insert(pandoc.Div({}, pandoc.Attr('refs')))
  return pandoc.Pandoc(numbered(document))
end
