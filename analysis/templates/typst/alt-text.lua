-- Pandoc Lua filter for the workbook PDF: pandoc's Typst writer drops image alt text,
-- so images are written as raw Typst calls that carry it (as a Typst string literal).

local function typst_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\r', ''):gsub('\n', '\\n')
  return '"' .. s .. '"'
end

local function image_call(img, fn)
  local alt = pandoc.utils.stringify(img.caption or {})
  if alt == '' then
    alt = img.title or ''
  end
  -- Typst reads local files only: a URL or data: URI is replaced by its alt text.
  if img.src:match('^%a[%w+.-]*:') then
    return string.format('#emph(%s)', typst_string('[Image not embedded: ' .. alt .. ']'))
  end
  return string.format('#%s(%s, %s)', fn, typst_string(img.src), typst_string(alt))
end

-- An image alone in a paragraph is a figure: scaled to the text width.
local function lone_image(block)
  local content = block.content
  if #content == 1 and content[1].t == 'Image' then
    return pandoc.RawBlock('typst', image_call(content[1], 'wb-figure'))
  end
  return nil
end

local function inline_image(img)
  return pandoc.RawInline('typst', image_call(img, 'wb-inline-image'))
end

-- Two passes: lone images become figures before the remaining images are made inline.
return {
  { Para = lone_image, Plain = lone_image },
  { Image = inline_image },
}
