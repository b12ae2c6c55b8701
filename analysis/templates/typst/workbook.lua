-- Pandoc Lua filter for the workbook PDF (HTML -> Typst):
-- 1. pandoc's Typst writer drops image alt text, so images are written as raw Typst calls that
--    carry it (as a Typst string literal);
-- 2. table columns of figures are right-aligned, text columns left-aligned;
-- 3. the notebook's cell wrappers are dropped and each chart's title, figure and source are
--    kept on one page.

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

-- Does a block (or a block inside it) satisfy test?
local function holds(block, test)
  if test(block) then
    return true
  end
  if block.t == 'Div' then
    for _, inner in ipairs(block.content) do
      if holds(inner, test) then
        return true
      end
    end
  end
  return false
end

local function is_figure(b)
  return b.t == 'RawBlock' and b.format == 'typst' and b.text:sub(1, 11) == '#wb-figure('
end

local function starts_with(kind)
  return function(b)
    return (b.t == 'Para' or b.t == 'Plain') and #b.content > 0 and b.content[1].t == kind
  end
end

-- A chart is shown as its bold title, a caption, the figure and its italic source. They are
-- kept in one unbreakable block so a page never ends with a title whose chart is overleaf.
local function keep_charts_together(blocks)
  local out = pandoc.List()
  local i = 1
  while i <= #blocks do
    local figure = nil
    if holds(blocks[i], starts_with('Strong')) then
      if blocks[i + 1] and holds(blocks[i + 1], is_figure) then
        figure = i + 1
      elseif blocks[i + 2] and holds(blocks[i + 2], is_figure) then
        figure = i + 2
      end
    end
    if figure then
      local last = figure
      if blocks[figure + 1] and holds(blocks[figure + 1], starts_with('Emph')) then
        last = figure + 1
      end
      out:insert(pandoc.RawBlock('typst', '#block(breakable: false, width: 100%)['))
      for k = i, last do
        out:insert(blocks[k])
      end
      out:insert(pandoc.RawBlock('typst', ']'))
      i = last + 1
    else
      out:insert(blocks[i])
      i = i + 1
    end
  end
  return out
end

-- Column alignment: numbers right, text left, decided per column so a column of figures stays
-- aligned where some cells are missing ("–") or withheld ("[c]").
local MISSING = { [''] = true, ['\u{2013}'] = true, ['\u{2014}'] = true, ['-'] = true,
                  ['[c]'] = true, ['[x]'] = true }

local function is_number(s)
  s = s:gsub('^%s+', ''):gsub('%s+$', '')
  s = s:gsub('^[+-]', ''):gsub('^\u{2212}', '')
  s = s:gsub('^\u{00A3}', ''):gsub('^\u{20AC}', ''):gsub('^%$', '')
  return s:match('^%d[%d,]*%.?%d*%%?$') ~= nil
end

local function align_columns(tbl)
  local numbers, words = {}, {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        if cell.col_span == 1 then
          local text = pandoc.utils.stringify(cell.contents)
          if is_number(text) then
            numbers[col] = true
          elseif not MISSING[text:gsub('^%s+', ''):gsub('%s+$', '')] then
            words[col] = true
          end
        end
        col = col + cell.col_span
      end
    end
  end
  for i, spec in ipairs(tbl.colspecs) do
    local align = (numbers[i] and not words[i]) and pandoc.AlignRight or pandoc.AlignLeft
    tbl.colspecs[i] = { align, spec[2] }
  end
  -- A cell across several columns (title, group label, note, source) reads as text: left.
  local function left_if_spanning(rows)
    for _, row in ipairs(rows) do
      for _, cell in ipairs(row.cells) do
        if cell.col_span > 1 then
          cell.alignment = pandoc.AlignLeft
        end
      end
    end
  end
  left_if_spanning(tbl.head.rows)
  for _, body in ipairs(tbl.bodies) do
    left_if_spanning(body.head)
    left_if_spanning(body.body)
  end
  left_if_spanning(tbl.foot.rows)
  return tbl
end

-- The notebook's cell and output wrappers carry no styling in the PDF. Unwrapped, a heading
-- and the chart after it are siblings, so Typst's sticky headings keep them on one page.
local function unwrap(div)
  return div.content
end

-- Lone images become figures before the remaining images are made inline; then each chart's
-- title, figure and source are kept together.
return {
  { Para = lone_image, Plain = lone_image },
  { Image = inline_image },
  { Div = unwrap, Table = align_columns },
  { Blocks = keep_charts_together },
}
