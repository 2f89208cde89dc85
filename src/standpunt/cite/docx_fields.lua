--[[
Citations as Zotero fields, for `standpunt.build.docx`: runs after citeproc.

Each citation becomes a Word field `ADDIN ZOTERO_ITEM CSL_CITATION {…}` holding the CSL data
of every work it cites, with the text citeproc formatted as the field's result. Zotero's Word
plug-in refreshes such fields in any style, and pandoc's docx reader (+citations) reads them
back as citations of the same keys. The metadata `standpunt-references` (put there by
docx_read.lua) holds the works as CSL-JSON, in one JSON text.
]]

local references = {}
local count = 0
--- The suffixes as written, one per citation in document order (docx_read.lua).
local suffixes = {}
local cited = 0

local function escape(text)
  return (text:gsub('&', '&amp;'):gsub('<', '&lt;'):gsub('>', '&gt;'):gsub('"', '&quot;'))
end

local function digits(text)
  return (text:gsub('[^%d]', ''))
end

--- A citation's suffix as it was written (", blz. 5"), so that it reads back as written; the
--- one citeproc kept (", p. 5") if the written one does not hold the same numbers.
local function suffix_text(citation)
  cited = cited + 1
  local kept = pandoc.utils.stringify(citation.suffix):gsub('%s+$', '')
  local written = suffixes[cited]
  if written and digits(written) == digits(kept) then
    return (written:gsub('%s+$', ''))
  end
  if kept ~= '' and not kept:match('^[,;]') then
    kept = ', ' .. kept
  end
  return kept
end

local function field(cite, note_index, text)
  count = count + 1
  local items = {}
  for _, citation in ipairs(cite.citations) do
    local item = { id = citation.id, itemData = references[citation.id] or { id = citation.id } }
    local prefix = pandoc.utils.stringify(citation.prefix)
    if prefix ~= '' then item.prefix = prefix end
    local suffix = suffix_text(citation)
    if suffix ~= '' then item.suffix = suffix end
    if citation.mode == 'SuppressAuthor' then item['suppress-author'] = true end
    if citation.mode == 'AuthorInText' then item['author-only'] = true end
    items[#items + 1] = item
  end
  local data = pandoc.json.encode {
    citationID = 'standpunt-' .. count,
    properties = { formattedCitation = text, plainCitation = text, noteIndex = note_index },
    citationItems = items,
    schema = 'https://github.com/citation-style-language/schema/raw/master/csl-citation.json',
  }
  return pandoc.RawInline('openxml', table.concat {
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
    '<w:r><w:instrText xml:space="preserve"> ADDIN ZOTERO_ITEM CSL_CITATION ',
    escape(data), ' </w:instrText></w:r>',
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
    '<w:r><w:t xml:space="preserve">', escape(text), '</w:t></w:r>',
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
  })
end

--- The citation's text as it reads: a note's text in a note style, else what it prints.
local function noted(cite)
  for _, inline in ipairs(cite.content) do
    if inline.t == 'Note' then
      return inline
    end
  end
  return nil
end

function Pandoc(doc)
  local listed = doc.meta['standpunt-references']
  if listed then
    for _, item in ipairs(pandoc.json.decode(pandoc.utils.stringify(listed), false)) do
      references[item.id] = item
    end
  end
  local written = doc.meta['standpunt-suffixes']
  if written then
    suffixes = pandoc.json.decode(pandoc.utils.stringify(written), false)
  end
  -- what only the build needed would become the document's custom properties (temporary
  -- paths among them)
  for _, name in ipairs { 'standpunt-references', 'standpunt-suffixes', 'standpunt-locators',
    'bibliography', 'csl',
    'references', 'link-citations', 'link-bibliography' } do
    doc.meta[name] = nil
  end
  -- In a note style citeproc puts a citation's note inside it: the field goes into the note.
  -- Notes are counted in document order, as Word numbers its footnotes.
  local notes = 0
  doc.blocks = doc.blocks:walk {
    traverse = 'topdown',
    Note = function(note)
      notes = notes + 1
      return nil
    end,
    Cite = function(cite)
      local note = noted(cite)
      if note == nil then
        return field(cite, 0, pandoc.utils.stringify(cite.content)), false
      end
      notes = notes + 1
      local text = pandoc.utils.stringify(note.content)
      return pandoc.Note { pandoc.Para { field(cite, notes, text) } }, false
    end,
  }
  return doc
end
