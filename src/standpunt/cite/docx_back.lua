--[[
A partner's Word copy back as Markdown: pandoc's custom writer for `standpunt.workspace.word`.

The document holds one Div per field of the position (its identifier the field's name), with
the blocks the copy holds for it. Its metadata `standpunt-current` is a JSON text: the field's
current Markdown by name, and `standpunt-format` the Markdown format it is written in;
`standpunt-aliases` maps a key a text cites (`doi:…`) to the evidence id it names.

Writes JSON: for each field, `markdown` (the copy's text as pandoc Markdown, citations as
[@key]) and `same` (whether it says what the current text says: the same words, emphasis,
links and citations, whatever the quotes, spaces, line breaks and locator labels).
]]

local aliases = {}

--- A citation's locator without its label (", p. 5", "page 5", "blz. 5" → "5"): the label is
--- the first word when more follow, in whatever language it was written.
local function locator(citation)
  local text = pandoc.utils.stringify(citation.suffix)
  text = text:gsub('–', '-'):gsub('—', '-'):gsub('\u{a0}', ' '):gsub('^[%s,]+', '')
  local words = {}
  for word in text:gmatch('%S+') do words[#words + 1] = word end
  if #words > 1 and words[1]:match('%a') then table.remove(words, 1) end
  return table.concat(words, '')
end

--- Blocks as text that compares equal when they say the same.
local function canonical(blocks)
  local marked = blocks:walk {
    Cite = function(cite)
      local parts = {}
      for _, citation in ipairs(cite.citations) do
        local id = aliases[citation.id] or citation.id
        parts[#parts + 1] = table.concat({ id, pandoc.utils.stringify(citation.prefix),
          locator(citation) }, '|')
      end
      return pandoc.Str('⟦' .. table.concat(parts, ';') .. '⟧')
    end,
    Quoted = function(quoted)
      local mark = quoted.quotetype == 'DoubleQuote' and '"' or "'"
      local out = pandoc.Inlines { pandoc.Str(mark) }
      out:extend(quoted.content)
      out:insert(pandoc.Str(mark))
      return out
    end,
    Para = function(para) return pandoc.Plain(para.content) end,
    Div = function(div) return div.content end,
    Span = function(span) return span.content end,
  }
  local text = pandoc.write(pandoc.Pandoc(marked), 'plain', { wrap_text = 'none' })
  -- Lua's patterns work on bytes: each quote mark is replaced on its own
  for _, mark in ipairs { '“', '”', '„' } do text = text:gsub(mark, '"') end
  for _, mark in ipairs { '‘', '’', '‚' } do text = text:gsub(mark, "'") end
  text = text:gsub('%s+', ' ')
  return (text:gsub('^ ', ''):gsub(' $', ''))
end

--- A citation's suffix as Markdown writes it back: without the space Word leaves at its end.
local function tidy(blocks)
  return blocks:walk {
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        while #citation.suffix > 0 and citation.suffix[#citation.suffix].t == 'Space' do
          citation.suffix:remove(#citation.suffix)
        end
      end
      return cite
    end,
    Div = function(div) return div.content end,
  }
end

function Writer(doc, options)
  local current = pandoc.json.decode(pandoc.utils.stringify(doc.meta['standpunt-current']), false)
  local format = pandoc.utils.stringify(doc.meta['standpunt-format'])
  aliases = pandoc.json.decode(pandoc.utils.stringify(doc.meta['standpunt-aliases']), false)
  local out = {}
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Div' and block.identifier ~= '' then
      local name = block.identifier
      local blocks = tidy(block.content)
      local markdown = pandoc.write(pandoc.Pandoc(blocks), format, options)
      local was = current[name]
      local same = false
      if was ~= nil and was ~= pandoc.json.null then
        same = canonical(pandoc.read(was, format).blocks) == canonical(block.content)
      end
      out[name] = { markdown = markdown, same = same }
    end
  end
  return pandoc.json.encode(out)
end
