--[[
A position's texts as print and screen show them: pandoc's custom writer for
`standpunt.cite.citeproc`, run on the document read.lua made, after citeproc.

It writes JSON in the shape of `CitedText.to_json()` (citeproc.FORMAT names that shape):

  {"media": {"print": MEDIUM, "screen": MEDIUM}, "bibliography": HTML,
   "cited_keys": [key, ...], "left_out": [key, ...]}
  MEDIUM = {"fields": [[text key, HTML], ...], "notes": HTML, "anchors": [ANCHOR, ...]}
  ANCHOR = {"id": "cite-1", "kind": "citation", "keys": [key, ...], "text": text key}
         | {"id": "fn-1", "kind": "footnote", "number": 1, "text": text key}    (print only)
         | {"id": "ref-KEY", "kind": "entry", "keys": [key]}

`left_out` holds the cited keys without an entry in the bibliography, where the style has one
(see `bibliography`); `bibliography` is empty when it shows no entry. Anchors are the ids the
rendered PDF must contain; the build proves none was lost.

pandoc's HTML writer writes each text as a part of its own (see `render_each`). What it would
number across a document is numbered here, in the order it would write it: citations outside
notes (`cite-N`), notes (pandoc's own numbers) and the code blocks it highlights (`cbN`). On
screen a note is pandoc's reference to the list of notes at the end; in print it is
`<span class="footnote" id="fn-N">`, its paragraphs run together, which WeasyPrint floats to
the foot of the page.

Markdown can set attributes (`[x]{onclick=...}`, `{rel=attachment}`) and link and image
targets. Only the attributes in SAFE are kept, links lead only to safe places and images come
only from the workspace or inline data (see `safe_link` and `safe_source`).
]]

--- The writer options pandoc was started with (`--wrap none`, ...).
local OPTIONS

--- Attributes the HTML may carry; anything else Markdown puts there is dropped. Citeproc gives
--- the bibliography the style's spacing (`data-entry-spacing`, `data-line-spacing`), which the
--- template's CSS honours.
local SAFE = {}
for _, name in ipairs {
  'id', 'class', 'href', 'src', 'alt', 'title', 'role', 'data-cites', 'colspan', 'rowspan',
  'start', 'type', 'lang', 'dir', 'reversed', 'aria-hidden', 'aria-label',
  'data-entry-spacing', 'data-line-spacing',
} do
  SAFE[name] = true
end

--- A note's place in a text's HTML, `<standpunt-note N>`, until the medium decides what it
--- becomes. Only this file can write it: pandoc escapes every '<' that comes from a text.
local NOTE, NOTE_PATTERN = '<standpunt-note %d>', '<standpunt%-note (%d+)>'

--- Marks where a paragraph of a print note starts and ends (written only here, as NOTE).
local PARAGRAPH = '<standpunt-paragraph>'

-- ------------------------------------------------------------------------------ text helpers

--- What Python's str.isspace() calls white space (the HTML used to be trimmed in Python).
local SPACE = {}
for _, code in ipairs { 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
  0x202F, 0x205F, 0x3000 } do
  SPACE[code] = true
end
for code = 0x09, 0x0D do SPACE[code] = true end
for code = 0x2000, 0x200A do SPACE[code] = true end

--- `text` without white space at its end, and at its start too when `both`.
local function trim(text, both)
  repeat
    local trimmed = false
    local last = utf8.offset(text, -1)
    if last and SPACE[utf8.codepoint(text, last)] then
      text, trimmed = text:sub(1, last - 1), true
    end
    if both and text ~= '' and SPACE[utf8.codepoint(text, 1)] then
      text, trimmed = text:sub(utf8.offset(text, 2)), true
    end
  until not trimmed
  return text
end

local ESCAPES = { ['&'] = '&amp;', ['<'] = '&lt;', ['>'] = '&gt;', ['"'] = '&quot;', ["'"] = '&#39;' }

--- Text as pandoc's HTML writer escapes it in an attribute value.
local function escape(text)
  return (text:gsub('[&<>"\']', ESCAPES))
end

local function list(items)
  return pandoc.List(items or {})
end

-- ------------------------------------------------------------------------------- attributes

--- The name pandoc's HTML writer gives an attribute: as written if HTML knows it (all of SAFE
--- but the `data-` ones do) or it has a `data-`/`aria-` prefix or a namespace, else with `data-`.
--- Of the names it writes as they are, only those in SAFE can be safe, so the others need no
--- list here.
local function written_name(key)
  if SAFE[key] or key:find(':', 1, true) or key:sub(1, 5) == 'data-' or key:sub(1, 5) == 'aria-' then
    return key
  end
  return 'data-' .. key
end

--- A URL as a browser reads it: without tabs and line breaks anywhere, nor control
--- characters and white space around it.
local function normalised(url)
  local value = trim((url:gsub('[\t\n\r]', '')), true)
  return value:gsub('^[\0-\31 ]+', ''):gsub('[\0-\31 ]+$', ''):lower()
end

--- Where a link may lead: a place in the page, the web (`http:`, `https:`, `ftp:`), an e-mail
--- address, a URN (`urn:nbn:…`, as libraries cite), an inline image, or a relative path (never
--- `javascript:`, `file:` or any other `data:`). `//host/x` is no relative path but another
--- host without a scheme: in the PDF it would become `file://host/x`, a network share.
local function safe_link(url)
  if url:sub(1, 1) == '#' then return true end -- most links: to a note or an entry
  local value = normalised(url)
  if value:find('^[/\\][/\\]') then return false end
  return value:sub(1, 1) == '#'
    or value:find('^https?:') ~= nil
    or value:find('^ftp:') ~= nil
    or value:find('^mailto:') ~= nil
    or value:find('^urn:') ~= nil
    or value:find('^data:image/') ~= nil
    or not value:find(':', 1, true)
end

--- What an image may show: a file of the workspace or an inline image, never a web address
--- (the PDF never fetches one, and in the HTML page it would tell a server who reads the
--- position). `//host/x.png` is a web address too: the page's own scheme is put in front. An
--- absolute path or one that steps up (`../`) would let the HTML page show a reader's own
--- files.
local function safe_source(url)
  local value = normalised(url)
  if value:find('^data:image/') then return true end
  if value:find(':', 1, true) or value:find('^[/\\]') then return false end
  -- A relative path stays inside the workspace: no step up, however it is written.
  local path = value:gsub('[?#].*$', ''):gsub('%%2e', '.')
  for step in path:gmatch('[^/\\]+') do
    if step == '..' then return false end
  end
  return true
end

--- The value of attribute `key` of `element`, if it has one.
local function attribute(element, key)
  for _, pair in ipairs(element.attributes) do
    if pair[1] == key then return pair[2] end
  end
end

--- Whether Markdown may give an element the attribute `key`.
local function allowed(key, value)
  local name = written_name(key):lower()
  if not SAFE[name] then return false end
  if name == 'href' then return safe_link(value) end
  if name == 'src' then return safe_source(value) end
  return true
end

--- `element` with only the attributes it may have. pandoc's writer writes the first of a
--- repeated attribute only. It reads `wrapper=1` on a div of one block (and writes the div's
--- attributes on that block instead), so that one stays where it means that.
local function clean(element, wrapper)
  if #element.attributes == 0 then return element end
  local attr, kept, seen = element.attr, {}, {}
  for _, pair in ipairs(attr.attributes) do
    local key, value = pair[1], pair[2]
    if not seen[key] then
      seen[key] = true
      if allowed(key, value) or (wrapper and key == 'wrapper' and value == '1') then
        kept[#kept + 1] = { key, value }
      end
    end
  end
  attr.attributes = kept
  element.attr = attr
  return element
end

local function clean_rows(rows)
  for _, row in ipairs(rows) do
    clean(row)
    for _, cell in ipairs(row.cells) do clean(cell) end
  end
end

--- A table with only the attributes it may have, on each of its parts.
local function clean_table(table_)
  clean(table_)
  clean(table_.head)
  clean_rows(table_.head.rows)
  for _, body in ipairs(table_.bodies) do
    clean(body)
    clean_rows(body.head)
    clean_rows(body.body)
  end
  clean(table_.foot)
  clean_rows(table_.foot.rows)
  return table_
end

--- ` name="value"` for each attribute of `attr`, in the order pandoc's writer writes them.
local function written_attributes(attr)
  local out, classes, seen = {}, {}, {}
  if attr.identifier ~= '' then out[#out + 1] = ' id="' .. escape(attr.identifier) .. '"' end
  for _, class in ipairs(attr.classes) do
    if class ~= '' and not seen[class] then
      seen[class] = true
      classes[#classes + 1] = class
    end
  end
  if #classes > 0 then out[#out + 1] = ' class="' .. escape(table.concat(classes, ' ')) .. '"' end
  for _, pair in ipairs(attr.attributes) do
    out[#out + 1] = ' ' .. written_name(pair[1]) .. '="' .. escape(pair[2]) .. '"'
  end
  return table.concat(out)
end

-- ---------------------------------------------------------------- links and images refused

--- The kind of file at `url` ("image", "video", ...) as pandoc's writer tells it, to choose
--- between <img>, <video>, <audio> and <embed>.
local function media_kind(url)
  if url:sub(1, 5) == 'data:' then return url:sub(6):match('^[^/]*') end
  local path = url:gsub('%.gz$', ''):gsub('^[%a][%w+.-]*:', ''):gsub('^//[^/]*', '')
  path = path:gsub('[?#].*$', '')
  if not path:match('%.[^./]+$') then return nil end
  pandoc.mediabag.insert(path, nil, '')
  local mime = pandoc.mediabag.lookup(path)
  pandoc.mediabag.delete(path)
  if mime == nil or mime == 'application/octet-stream' then return nil end
  return mime:match('^[^/]*')
end

--- The HTML pandoc's writer makes of an image whose source is refused, without `src` (nor
--- `controls`, which SAFE does not hold), so the reader sees its description.
local function refused_image_html(image)
  local attributes = written_attributes(image.attr)
  if image.title ~= '' then attributes = ' title="' .. escape(image.title) .. '"' .. attributes end
  local description = pandoc.utils.stringify(image.caption)
  local kind = media_kind(image.src)
  if kind == 'video' or kind == 'audio' then
    local href = safe_link(image.src) and (' href="' .. escape(image.src) .. '"') or ''
    local words = #image.caption > 0 and description or (kind == 'video' and 'Video' or 'Audio')
    return '<' .. kind .. attributes .. '><a' .. href .. '>' .. escape(words) .. '</a></' .. kind .. '>'
  end
  if kind ~= nil and kind ~= 'image' then return '<embed' .. attributes .. '/>' end
  if attribute(image, 'alt') == nil and #image.caption > 0 then
    attributes = attributes .. ' alt="' .. escape(description) .. '"'
  end
  return '<img' .. attributes .. '/>'
end

--- pandoc's writer keeps no link inside a link's text: each becomes a span.
local function without_links(content)
  return content:walk {
    Link = function(link) return pandoc.Span(link.content, link.attr) end,
  }
end

--- A link to a refused place as pandoc's writer writes it without `href` (so its text stays):
--- around its `content`.
local function refused_link(link, content)
  local attributes = written_attributes(link.attr)
  if link.title ~= '' then attributes = attributes .. ' title="' .. escape(link.title) .. '"' end
  local inlines = pandoc.Inlines { pandoc.RawInline('html', '<a' .. attributes .. '>') }
  inlines:extend(content)
  inlines:insert(pandoc.RawInline('html', '</a>'))
  return inlines
end

--- A figure of one refused image, as pandoc's writer writes a figure (its caption is hidden
--- from screen readers when it repeats the image's description), around its `shape`d
--- caption; nil for any other figure.
local function refused_figure(figure, shape)
  local body, caption = figure.content, figure.caption.long
  if #body ~= 1 or body[1].t ~= 'Plain' or #body[1].content ~= 1 then return nil end
  local image = body[1].content[1]
  if image.t ~= 'Image' or safe_source(image.src) then return nil end
  image = clean(image)
  local html = '<figure' .. written_attributes(figure.attr) .. '>\n' .. refused_image_html(image) .. '\n'
  if #caption == 0 then return pandoc.RawBlock('html', html .. '</figure>') end
  if #caption ~= 1 or caption[1].t ~= 'Plain' then return nil end -- not a figure Markdown makes
  local alt = attribute(image, 'alt') or pandoc.utils.stringify(image.caption)
  local hidden = pandoc.utils.stringify(caption) == alt and ' aria-hidden="true"' or ''
  local inlines = pandoc.Inlines { pandoc.RawInline('html', html .. '<figcaption' .. hidden .. '>') }
  inlines:extend(caption[1].content:walk(shape))
  inlines:insert(pandoc.RawInline('html', '</figcaption>\n</figure>'))
  return pandoc.Plain(inlines)
end

-- --------------------------------------------------------------------------------- shaping

local state

--- Whether pandoc's writer highlights a code block with these attributes (a language it
--- knows): it then gives the block the id cbN, counting every code block without an id. The
--- writer shows it by writing the same block with and without that id.
local highlights = {}
local function highlighted(block)
  local probe = pandoc.CodeBlock('x', pandoc.Attr('', block.classes, block.attributes))
  local key = pandoc.write(pandoc.Pandoc { probe }, 'native')
  if highlights[key] == nil then
    local with_id = probe:clone()
    with_id.identifier = 'cb1'
    highlights[key] = pandoc.write(pandoc.Pandoc { probe }, 'html5', OPTIONS)
      == pandoc.write(pandoc.Pandoc { with_id }, 'html5', OPTIONS)
  end
  return highlights[key]
end

local function number_code(block)
  if block.identifier == '' then
    state.code = state.code + 1
    if highlighted(block) then block.identifier = 'cb' .. state.code end
  end
  return block
end

--- The reference pandoc's writer puts where note `number` was.
local function note_reference(number)
  return '<a href="#fn' .. number .. '" class="footnote-ref" id="fnref' .. number
    .. '" role="doc-noteref"><sup>' .. number .. '</sup></a>'
end

--- Whether `inlines` hold a link.
local function has_link(inlines)
  local found = false
  inlines:walk { Link = function() found = true end }
  return found
end

--- A citation's `content` with only the links to the bibliography a reader can follow, each
--- with the role pandoc's writer gives it (`keep_roles`: the writer still sees the citation and
--- gives it itself). With `link-citations` (which citeproc.py asks for in-text styles only: a
--- note is the reference itself) citeproc links a citation's text to the work's entry; the link
--- is taken away, its text kept, where it would lead nowhere (the style prints no entry for the
--- work, or no bibliography at all) or would hide a link of its own (a DOI, a URL).
local function entry_links(content, keep_roles)
  return content:walk {
    Link = function(link)
      local key = link.target:match '^#ref%-(.*)$'
      if key == nil then return nil end
      if not state.printed[key] or has_link(link.content) then
        return link.content
      end
      if keep_roles then return link end
      local attributes = { { 'role', 'doc-biblioref' } }
      for _, pair in ipairs(link.attributes) do attributes[#attributes + 1] = { pair[1], pair[2] } end
      link.attributes = attributes
      return link
    end,
  }
end

--- What is being shaped: the key of the text, and the number of the note inside it, if any.
local context = {}

--- The filter that shapes a text in one pass: it keeps only allowed attributes, refuses unsafe
--- link and image targets, and numbers citations, notes and code blocks in the order pandoc's
--- writer writes them.
local SHAPE = { traverse = 'topdown' }

--- `blocks` shaped as part of the text `text` (of note `note`, if given).
local function shaped(blocks, text, note)
  local outer = context
  context = { text = text, note = note }
  blocks = blocks:walk(SHAPE)
  context = outer
  return blocks
end

SHAPE.Span, SHAPE.Code, SHAPE.Header, SHAPE.Table = clean, clean, clean, clean_table
SHAPE.Div = function(div) return clean(div, #div.content == 1) end
SHAPE.CodeBlock = function(block) return number_code(clean(block)), false end

-- An image's description is never written as such: its alt text is its plain text.
SHAPE.Image = function(image)
  image = clean(image)
  if safe_source(image.src) then return image, false end
  return pandoc.RawInline('html', refused_image_html(image)), false
end

SHAPE.Figure = function(figure)
  figure = clean(figure)
  local refused = refused_figure(figure, SHAPE)
  if refused then return refused, false end
  return figure
end

SHAPE.Link = function(link)
  link = clean(link)
  link.content = without_links(link.content)
  if safe_link(link.target) then return link end
  return refused_link(link, link.content:walk(SHAPE)), false
end

SHAPE.Cite = function(cite)
  local keys = list()
  for _, citation in ipairs(cite.citations) do keys:insert(citation.id) end
  if context.note then -- written by pandoc, without an id (its note has one)
    state.keys_in_notes:extend(keys)
    cite.content = entry_links(cite.content, true):walk(SHAPE)
    return cite, false
  end
  state.keys_in_text:extend(keys)
  local id = 'cite-' .. (#state.citations + 1)
  state.citations:insert { id = id, kind = 'citation', keys = keys, text = context.text }
  local attr = pandoc.Attr(id, { 'citation' }, { { 'data-cites', table.concat(keys, ' ') } })
  return pandoc.Span(entry_links(cite.content), attr) -- its content shaped next
end

SHAPE.Note = function(note)
  if context.note then
    -- pandoc's writer gives a note inside a note the number of the note around it, and
    -- writes its text nowhere (still counting the code blocks in it).
    note.content:walk {
      CodeBlock = function(block)
        if block.identifier == '' then state.code = state.code + 1 end
      end,
    }
    return pandoc.RawInline('html', note_reference(context.note)), false
  end
  local number = #state.notes + 1
  state.notes:insert(note.content) -- takes the number before the notes inside it
  state.notes[number] = shaped(note.content, context.text, number)
  state.footnotes:insert { id = 'fn-' .. number, kind = 'footnote', number = number, text = context.text }
  return pandoc.RawInline('html', NOTE:format(number)), false
end

-- --------------------------------------------------------------------------------- writing

--- `blocks` as pandoc's HTML writer writes them, an empty element closed as `<br/>`, as
--- Standpunt has always written it (pandoc writes `<br />`; " />" ends nothing else, since
--- pandoc writes every '>' of a text as "&gt;").
local function render(blocks)
  return (pandoc.write(pandoc.Pandoc(blocks), 'html5', OPTIONS):gsub(' />', '/>'))
end

--- Where one part written by `render_each` ends and the next begins. Only this file can write
--- it: pandoc escapes every '<' that comes from a text.
local CUT = '<standpunt-cut>'

--- The HTML of each list of blocks in `lists`. They are written in one go (a run of the
--- writer costs more than a long text), each in a div of its own, so that what the writer
--- groups (a heading and what follows it) stays inside it; then cut apart at marks between
--- the divs, and the divs taken off.
local function render_each(lists)
  local blocks = pandoc.Blocks {}
  for index, each in ipairs(lists) do
    blocks:insert(pandoc.RawBlock('html', CUT))
    blocks:insert(pandoc.Div(each, pandoc.Attr('standpunt-' .. index)))
  end
  local html, parts, position = render(blocks), {}, 1
  for index = 1, #lists do
    local open = CUT .. '\n<div id="standpunt-' .. index .. '">\n'
    assert(html:sub(position, position + #open - 1) == open, 'a written part lost its start')
    local following = html:find(CUT, position + #open, true)
    local stop = following and following - #'\n</div>\n' or #html + 1 - #'\n</div>'
    parts[index] = html:sub(position + #open, stop - 1)
    position = following
  end
  return parts
end

--- Each note as print shows it: a page-foot footnote, its paragraphs run together.
local function footnotes()
  local marked = list()
  for number, blocks in ipairs(state.notes) do
    marked[number] = blocks:walk {
      Para = function(para)
        local inlines = pandoc.Inlines { pandoc.RawInline('html', PARAGRAPH) }
        inlines:extend(para.content)
        inlines:insert(pandoc.RawInline('html', PARAGRAPH))
        return pandoc.Plain(inlines)
      end,
    }
  end
  local spans = {}
  for number, html in ipairs(render_each(marked)) do
    local parts, start = {}, 1
    repeat
      local from, to = html:find(PARAGRAPH, start, true)
      local part = trim(html:sub(start, from and from - 1 or #html), true)
      if part ~= '' then parts[#parts + 1] = part end
      start = to and to + 1
    until not start
    spans[number] = '<span class="footnote" id="fn-' .. number .. '">' .. table.concat(parts, ' ') .. '</span>'
  end
  return spans
end

--- The blocks of note `number` with pandoc's link back to its reference: at the end of its
--- last paragraph, or after its last block if that is no paragraph (nor an old-style figure).
local function with_backlink(number)
  local blocks = state.notes[number]:clone()
  if #blocks == 0 then return blocks end
  local backlink = pandoc.Link({ pandoc.Str '↩' }, '#fnref' .. number, '',
    pandoc.Attr('', { 'footnote-back' }, { { 'role', 'doc-backlink' } }))
  local last = blocks[#blocks]
  local figure = last.t == 'Para' and #last.content == 1 and last.content[1].t == 'Image'
    and (last.content[1].title:sub(1, 4) == 'fig:' or last.content[1].classes:includes 'r-stretch')
  if (last.t == 'Para' and not figure) or last.t == 'Plain' then
    local inlines = last.content:clone()
    inlines:insert(backlink)
    blocks[#blocks] = last.t == 'Para' and pandoc.Para(inlines) or pandoc.Plain(inlines)
  else
    blocks:insert(pandoc.Plain { backlink })
  end
  return blocks
end

--- The list of notes at the end, as pandoc's writer writes it (screen only).
local function end_notes()
  if #state.notes == 0 then return '' end
  local notes = list()
  for number = 1, #state.notes do notes[number] = with_backlink(number) end
  local items = {}
  for number, html in ipairs(render_each(notes)) do
    items[number] = '<li id="fn' .. number .. '">' .. html .. '</li>\n'
  end
  return '<section id="footnotes" class="footnotes footnotes-end-of-document" '
    .. 'role="doc-endnotes">\n<hr/>\n<ol>\n' .. table.concat(items) .. '</ol>\n</section>\n'
end

--- The texts' HTML, `{key, html}` each, with their notes as each medium shows them: in print
--- as `spans`, on screen as references to the list at the end.
local function fields(texts, spans)
  local lists = list()
  for index, text in ipairs(texts) do lists[index] = text.blocks end
  local in_print, on_screen = list(), list()
  for index, html in ipairs(render_each(lists)) do
    local key = texts[index].key
    local printed = html:gsub(NOTE_PATTERN, function(number) return spans[tonumber(number)] end)
    in_print[index] = list { key, trim(printed) }
    on_screen[index] = list { key, trim((html:gsub(NOTE_PATTERN, note_reference))) }
  end
  return in_print, on_screen
end

-- ---------------------------------------------------------------------------------- writer

--- The bibliography as the page shows it, and what it lists. Citeproc fills the div `refs`
--- only for a style that has a bibliography (it then has the class `csl-bib-body`), with an
--- entry for every cited work it knows; an entry without text is a work the style lists by
--- design under no entry (APA's personal communication), and is taken out. Returns the div,
--- whether the style has a bibliography, and the keys of the entries made and of those shown.
local function bibliography(refs)
  local made, printed = {}, {}
  refs = refs:walk {
    Div = function(div)
      local key = div.identifier:match '^ref%-(.*)$'
      if key == nil or not div.classes:includes 'csl-entry' then return nil end
      made[key] = true
      if trim(pandoc.utils.stringify(div), true) == '' then return {} end
      printed[key] = true
    end,
  }
  return refs, refs.classes:includes 'csl-bib-body', made, printed
end

--- The cited keys, each once: those in the texts, then those in notes (the order in which
--- they stand in the screen page).
local function cited_keys()
  local keys, seen = list(), {}
  for _, key in ipairs(state.keys_in_text .. state.keys_in_notes) do
    if not seen[key] then
      seen[key] = true
      keys:insert(key)
    end
  end
  return keys
end

--- Quotation marks by language (the primary subtag), as the CSL locales write them: citeproc
--- already writes the style's quotes this way, and the author's own "…" must match them.
--- Languages not listed keep pandoc's “…”.
local QUOTES = {
  de = { double = { '\u{201E}', '\u{201C}' }, single = { '\u{201A}', '\u{2018}' } },
  fr = { double = { '\u{AB}\u{A0}', '\u{A0}\u{BB}' }, single = { '\u{201C}', '\u{201D}' } },
  nl = { double = { '\u{201C}', '\u{201D}' }, single = { '\u{2018}', '\u{2019}' } },
  en = { double = { '\u{201C}', '\u{201D}' }, single = { '\u{2018}', '\u{2019}' } },
}

--- French sets a narrow no-break space before ; : ! and ?: a space written there becomes one,
--- so the mark never starts a line.
local FRENCH_HIGH = { [';'] = true, [':'] = true, ['!'] = true, ['?'] = true }

local function french_spacing(inlines)
  for index = 2, #inlines do
    local here, before = inlines[index], inlines[index - 1]
    if here.t == 'Str' and before.t == 'Space' and FRENCH_HIGH[here.text:sub(1, 1)] then
      inlines[index - 1] = pandoc.Str('\u{202F}')
    end
  end
  return inlines
end

--- „ typed by hand, then a straight " that pandoc took for an English closing ”: German closes
--- with “, and ” has no place in German text.
local function german_closing(str)
  if str.text:find('\u{201D}', 1, true) then
    return pandoc.Str((str.text:gsub('\u{201D}', '\u{201C}')))
  end
end

--- The author's text in the typography of the document's language, in one walk: quotations
--- (what pandoc's smart typography made of "…" and '…') in the language's marks, and what
--- French and German ask besides.
local function localized(document)
  local lang = pandoc.utils.stringify(document.meta.lang or ''):lower():match('^(%a+)')
  local marks = QUOTES[lang or '']
  if not marks then return document end
  return document:walk {
    Quoted = function(quoted)
      local pair = quoted.quotetype == 'DoubleQuote' and marks.double or marks.single
      local inlines = pandoc.Inlines { pandoc.Str(pair[1]) }
      inlines:extend(quoted.content)
      inlines:insert(pandoc.Str(pair[2]))
      return inlines
    end,
    Str = lang == 'de' and german_closing or nil,
    Inlines = lang == 'fr' and french_spacing or nil,
  }
end

function Writer(document, options)
  OPTIONS = options
  document = localized(document)
  local found = pandoc.Div {}
  for _, block in ipairs(document.blocks) do
    if block.identifier == 'refs' then found = block end
  end
  local refs, listing, made, printed = bibliography(found)
  state = {
    code = 0, notes = list(), citations = list(), footnotes = list(),
    keys_in_text = list(), keys_in_notes = list(),
    printed = printed,
  }
  local texts = {}
  for _, block in ipairs(document.blocks) do
    if block.identifier ~= 'refs' then
      local key = block.attributes['standpunt-text']
      texts[#texts + 1] = { key = key, blocks = shaped(block.content, key) }
    end
  end
  refs = shaped(pandoc.Blocks { refs })[1]

  -- A cited work without an entry is lost, where the style lists works at all.
  local keys, entries, left_out = cited_keys(), list(), list()
  for _, key in ipairs(keys) do
    if state.printed[key] then
      entries:insert { id = 'ref-' .. key, kind = 'entry', keys = list { key } }
    elseif listing and not made[key] then
      left_out:insert(key)
    end
  end

  local in_print, on_screen = fields(texts, footnotes())
  local media = {
    print = { fields = in_print, notes = '', anchors = state.citations .. state.footnotes .. entries },
    screen = { fields = on_screen, notes = end_notes(), anchors = state.citations .. entries },
  }
  return pandoc.json.encode {
    media = media,
    bibliography = next(state.printed) and render { refs } .. '\n' or '',
    cited_keys = keys,
    left_out = left_out,
  }
end
