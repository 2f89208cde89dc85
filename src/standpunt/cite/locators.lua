--[[
Locator labels in any of our languages, read by citeproc: a pandoc Lua filter for
`standpunt.cite.citeproc`, run before `--citeproc`.

pandoc's citeproc reads a citation's locator (`[@x, p. 4]`) only when its label is a term of the
position's CSL locale, so `pp. 3-5` in a French position or `hfst. 2` in a Dutch one stayed text
(with a hyphen, not a page range). The metadata field `standpunt-locators` holds, as JSON, each
label we recognise that the locale does not know (lower case) and a label the locale reads as
the same locator (`standpunt.cite.styles` works it out). This filter rewrites that label where a
locator starts, so citeproc reads the locator and the style prints it in its own form.

A label is rewritten only at the start of a suffix (after its comma) and only when the word after
it begins a locator as citeproc reads one: it holds a digit, or it is a roman numeral. So
`[@x, zie ook p. 4]` and `[@x, in druk]` are left as written. The filter looks at a bounded
number of words per citation.
]]

--- Labels to rewrite: our label (lower case) -> the locale's label.
local rewrites = {}

--- Words read at the start of a suffix: a comma, a label and the locator's first word, each
--- a Str or a space; more is never needed.
local LOOK = 6

local NBSP = '\194\160'

--- The text of the suffix's leading Str, Space and SoftBreak elements (at most LOOK), and how
--- many elements that is.
local function leading(suffix)
  local parts = {}
  local count = 0
  for index = 1, math.min(#suffix, LOOK) do
    local inline = suffix[index]
    if inline.t == 'Str' then
      parts[#parts + 1] = inline.text
    elseif inline.t == 'Space' or inline.t == 'SoftBreak' then
      parts[#parts + 1] = ' '
    else
      break
    end
    count = index
  end
  return table.concat(parts), count
end

--- The position just past any spaces (ASCII or no-break) from `at` in `text`.
local function skip_spaces(text, at)
  while true do
    if text:sub(at, at) == ' ' then
      at = at + 1
    elseif text:sub(at, at + 1) == NBSP then
      at = at + 2
    else
      return at
    end
  end
end

--- The end of the word that starts at `at` (before the next space or the end).
local function word_end(text, at)
  local stop = #text
  local space = text:find(' ', at, true)
  local nbsp = text:find(NBSP, at, true)
  if space then stop = math.min(stop, space - 1) end
  if nbsp then stop = math.min(stop, nbsp - 1) end
  return stop
end

local ROMAN = { { 1000, 'm' }, { 900, 'cm' }, { 500, 'd' }, { 400, 'cd' }, { 100, 'c' },
  { 90, 'xc' }, { 50, 'l' }, { 40, 'xl' }, { 10, 'x' }, { 9, 'ix' }, { 5, 'v' }, { 4, 'iv' },
  { 1, 'i' } }
local VALUE = { i = 1, v = 5, x = 10, l = 50, c = 100, d = 500, m = 1000 }

--- Whether `letters` is a roman numeral written the usual way (xiv, not iiii).
local function is_roman(letters)
  letters = letters:lower()
  if letters == '' or #letters > 15 or letters:find('[^ivxlcdm]') then
    return false
  end
  local total = 0
  for index = 1, #letters do
    local value = VALUE[letters:sub(index, index)]
    local next_value = VALUE[letters:sub(index + 1, index + 1)] or 0
    total = total + (value < next_value and -value or value)
  end
  if total <= 0 then
    return false
  end
  local written = {}
  for _, pair in ipairs(ROMAN) do
    while total >= pair[1] do
      written[#written + 1] = pair[2]
      total = total - pair[1]
    end
  end
  return table.concat(written) == letters
end

--- Whether `word` begins a locator as citeproc reads one after a label.
local function starts_locator(word)
  if word:find('%d') then
    return true
  end
  return is_roman(word:match('^[%(%[]?(%a+)') or '')
end

--- A label as the table holds it: lower case, with a straight apostrophe (pandoc's smart
--- typography makes "pagina's" "pagina’s", which no locale term is).
local function key(label)
  return (pandoc.text.lower(label):gsub('\226\128\153', "'"))
end

--- `text` with the label at its start rewritten, or nil when it starts with no label of ours
--- followed by a locator.
local function rewritten(text)
  local at = 1
  if text:sub(1, 1) == ',' then
    at = 2
  end
  at = skip_spaces(text, at)
  local stop = word_end(text, at)
  local label = text:sub(at, stop)
  local rest_at = stop + 1
  local target = rewrites[key(label)]
  if not target then
    -- a label written against its locator: "pp.3-5"
    local glued, locator = label:match('^(.-%.)(%d.*)$')
    if glued and rewrites[key(glued)] then
      return text:sub(1, at - 1) .. rewrites[key(glued)] .. ' ' .. locator
        .. text:sub(rest_at)
    end
    return nil
  end
  local next_at = skip_spaces(text, rest_at)
  if next_at == rest_at or next_at > #text then
    return nil
  end
  if not starts_locator(text:sub(next_at, word_end(text, next_at))) then
    return nil
  end
  return text:sub(1, at - 1) .. target .. text:sub(rest_at)
end

--- Str and Space elements for `text`: a Space for each ASCII space, as it was read.
local function inlines_of(text)
  local made = pandoc.Inlines {}
  local at = 1
  while at <= #text do
    local space = text:find(' ', at, true)
    local stop = space and space - 1 or #text
    if stop >= at then
      made:insert(pandoc.Str(text:sub(at, stop)))
    end
    if space then
      made:insert(pandoc.Space())
    end
    at = stop + 2
  end
  return made
end

local function rewrite_suffix(citation)
  local suffix = citation.suffix
  local text, count = leading(suffix)
  local changed = count > 0 and rewritten(text)
  if not changed then
    return false
  end
  local made = inlines_of(changed)
  for index = count + 1, #suffix do
    made:insert(suffix[index])
  end
  citation.suffix = made
  return true
end

function Pandoc(document)
  local given = document.meta['standpunt-locators']
  document.meta['standpunt-locators'] = nil
  if given == nil then
    return document
  end
  rewrites = pandoc.json.decode(pandoc.utils.stringify(given), false)
  if next(rewrites) == nil then
    return document
  end
  document.blocks = document.blocks:walk {
    Cite = function(cite)
      local changed = false
      for _, citation in ipairs(cite.citations) do
        changed = rewrite_suffix(citation) or changed
      end
      if changed then
        return cite
      end
    end,
  }
  return document
end
