--[[
One pandoc that cites position after position: run as a custom reader on an empty input,
`pandoc --from warm.lua --to plain /dev/null`, by `standpunt.cite.warm`, it reads requests from
its standard input and does for each what one run of

  pandoc --from READER --to WRITER --wrap none --lua-filter FILTER --citeproc
         --csl CSL --bibliography REFERENCES --metadata ...

does (see `standpunt.cite.citeproc`), without starting pandoc again: the reader's Reader, the
filter's Pandoc, pandoc.utils.citeproc and the writer's Writer, in that order, with the options
and the metadata the command line gives them (being a reader of the command line, it is handed
the command line's own reader options). The reader, writer and filter are loaded afresh for
each request (their state is one document's), from source read once.

Frames, both ways: the length of a JSON text in bytes, a newline, the JSON text. The first
request names the reader, writer and filter (`{"reader": path, "writer": path, "filter":
path}`) and is answered with `{"ready": true}`; then each request

  {"input": <what the reader reads>, "csl": <path>, "bibliography": <path>, "lang": <tag>,
   "locators": <JSON text>, "link_citations": <bool>}

is answered with `{"output": <what the writer wrote>}` or `{"error": <pandoc's message>}`. A
request `{"probe": <Markdown>, "format": <format>, "csl": <path>, "lang": <tag>}` is what

  pandoc --from FORMAT --to plain --wrap none --citeproc --csl CSL --metadata lang=LANG

writes for that Markdown (the probes of `standpunt.cite.styles`, whose Markdown is theirs).
The files it reads are the ones a request names, written by Standpunt; nothing a text says
reaches the metadata (the reader drops a text's own). The first request may also name the
folder Standpunt writes those files in (`"folder": path`): when its input ends (Standpunt is
done, or was killed and could not clean up), the files in it and the folder are removed.
]]

local function source(path)
  local handle = assert(io.open(path, 'rb'))
  local text = handle:read 'a'
  handle:close()
  return text
end

--- The global functions of the script `text` (from `path`), run in an environment of its own.
local function loaded(text, path)
  local environment = setmetatable({}, { __index = _G })
  assert(load(text, '@' .. path, 't', environment))()
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

local function cite(scripts, request, reader_options, writer_options)
  local document = loaded(scripts.reader, scripts.paths.reader).Reader(request.input, reader_options)
  local meta = document.meta
  meta['standpunt-locators'] = request.locators
  meta.csl = request.csl
  meta.bibliography = request.bibliography
  meta.lang = request.lang
  meta['link-bibliography'] = true
  if request.link_citations then meta['link-citations'] = true end
  document.meta = meta
  document = loaded(scripts.filter, scripts.paths.filter).Pandoc(document)
  document = pandoc.utils.citeproc(document)
  return loaded(scripts.writer, scripts.paths.writer).Writer(document, writer_options)
end

--- What the command line writes as plain text for the probe `request`.
local function probe(request, reader_options, writer_options)
  local document = pandoc.read(request.probe, request.format, reader_options)
  document.meta.csl = request.csl
  document.meta.lang = request.lang
  document = pandoc.utils.citeproc(document)
  return pandoc.write(document, 'plain', writer_options)
end

--- The files Standpunt wrote for this process, and their folder (its only contents).
local function remove_folder(folder)
  if type(folder) ~= 'string' or folder == '' then return end
  local listed, names = pcall(pandoc.system.list_directory, folder)
  if listed then
    for _, name in ipairs(names) do os.remove(pandoc.path.join { folder, name }) end
  end
  os.remove(folder)
end

function Reader(_, reader_options)
  io.stdout:setvbuf 'full'
  local first = receive()
  if first == nil then return pandoc.Pandoc {} end
  local scripts = {
    paths = first,
    reader = source(first.reader),
    writer = source(first.writer),
    filter = source(first.filter),
  }
  local writer_options = pandoc.WriterOptions { wrap_text = 'wrap-none', columns = 72 }
  send { ready = true }
  while true do
    local request = receive()
    if request == nil then break end
    local ok, result
    if request.probe then
      ok, result = pcall(probe, request, reader_options, writer_options)
    else
      ok, result = pcall(cite, scripts, request, reader_options, writer_options)
    end
    if ok then
      send { output = result }
    else
      send { error = tostring(result) }
    end
  end
  remove_folder(first.folder)
  return pandoc.Pandoc {}
end
