--[[
The reader options pandoc's command line gives a custom reader, written to standard output as
JSON: a custom reader, run once by `standpunt.cite.warm` so that the warm pandoc reads texts with
exactly these options (the command line's abbreviations come from pandoc's data files, which a
`pandoc lua` process does not read).
]]

function Reader(_, options)
  local abbreviations = {}
  for name in pairs(options.abbreviations) do abbreviations[#abbreviations + 1] = name end
  table.sort(abbreviations)
  io.stdout:write(pandoc.json.encode {
    abbreviations = abbreviations,
    columns = options.columns,
    default_image_extension = options.default_image_extension,
    indented_code_classes = options.indented_code_classes,
    standalone = options.standalone,
    strip_comments = options.strip_comments,
    tab_stop = options.tab_stop,
    track_changes = options.track_changes,
  })
  return pandoc.Pandoc {}
end
