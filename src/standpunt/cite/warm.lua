--[[
One pandoc that cites position after position: run as `pandoc lua warm.lua READER WRITER FILTER`
by `standpunt.cite.warm`, it does for each request what one run of

  pandoc --from READER --to WRITER --wrap none --lua-filter FILTER --citeproc
         --csl CSL --bibliography REFERENCES --metadata ...

does (see `standpunt.cite.citeproc`), without starting pandoc again: the reader's Reader, the
filter's Pandoc, pandoc.utils.citeproc and the writer's Writer, in that order, with the options
and the metadata the command line gives them. The reader, writer and filter are loaded afresh
for each request (their state is one document's), from source compiled once.

Frames, both ways: the length of a JSON text in bytes, a newline, the JSON text. The first
request is the reader options of pandoc's command line (`{"reader": {...}}`), answered with
`{"ready": true}`; then each request

  {"input": <what the reader reads>, "csl": <path>, "bibliography": <path>, "lang": <tag>,
   "locators": <JSON text>, "link_citations": <bool>}

is answered with `{"output": <what the writer wrote>}` or `{"error": <pandoc's message>}`.
The files it reads are the ones a request names, written by Standpunt; nothing a text says
reaches the metadata (the reader drops a text's own).
]]

local READER, WRITER, FILTER = arg[1], arg[2], arg[3]

local function source(path)
  local handle = assert(io.open(path, 'rb'))
  local text = handle:read 'a'
  handle:close()
  return text
end

local sources = { [READER] = source(READER), [WRITER] = source(WRITER), [FILTER] = source(FILTER) }

--- The global functions a script defines, run in an environment of its own.
local function loaded(path)
  local environment = setmetatable({}, { __index = _G })
  assert(load(sources[path], '@' .. path, 't', environment))()
  return environment
end

local function receive()
  local size = io.stdin:read 'l'
  if size == nil then return nil end
  local length = tonumber(size)
  if length == nil or length < 0 then error('not a frame: ' .. size) end
  local text = io.stdin:read(length)
  if text == nil or #text ~= length then return nil end
  return pandoc.json.decode(text, false)
end

local function send(answer)
  local text = pandoc.json.encode(answer)
  io.stdout:write(#text, '\n', text)
  io.stdout:flush()
end

local function cite(request, reader_options, writer_options)
  local document = loaded(READER).Reader(request.input, reader_options)
  local meta = document.meta
  meta['standpunt-locators'] = request.locators
  meta.csl = request.csl
  meta.bibliography = request.bibliography
  meta.lang = request.lang
  meta['link-bibliography'] = true
  if request.link_citations then meta['link-citations'] = true end
  document.meta = meta
  document = loaded(FILTER).Pandoc(document)
  document = pandoc.utils.citeproc(document)
  return loaded(WRITER).Writer(document, writer_options)
end

io.stdout:setvbuf 'full'
local first = receive()
if first == nil then os.exit(0) end
local chosen = first.reader
local abbreviations = {}
for _, name in ipairs(chosen.abbreviations) do abbreviations[name] = true end
chosen.abbreviations = abbreviations
local reader_options = pandoc.ReaderOptions(chosen)
local writer_options = pandoc.WriterOptions { wrap_text = 'wrap-none', columns = 72 }
send { ready = true }

while true do
  local request = receive()
  if request == nil then break end
  local ok, result = pcall(cite, request, reader_options, writer_options)
  if ok then
    send { output = result }
  else
    send { error = tostring(result) }
  end
end
