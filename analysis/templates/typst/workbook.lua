-- Pandoc Lua filter for the workbook PDF (HTML -> Typst):
-- 1. pandoc's Typst writer drops image alt text, so images are written as raw Typst calls that
--    carry it (as a Typst string literal);
-- 2. table columns of figures are right-aligned, text columns left-aligned;
-- 3. the notebook's cell wrappers are dropped and each chart's title, figure and source are
--    kept on one page;
-- 4. a table too wide for the page gets column widths that hold each column's longest word;
-- 5. a cell's colours and weight (great-tables writes them as inline CSS, which pandoc's Typst
--    writer ignores) become Typst cell attributes, so RAG cells are coloured in the PDF too;
-- 6. the contents go after the first top-level section (the summary), so page one is the summary;
-- 7. a link to a sibling report's HTML (../area/area.html) points at its PDF instead.

local function typst_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\r', ''):gsub('\n', '\\n')
  return '"' .. s .. '"'
end

local function image_call(img, fn)
  local alt = pandoc.utils.stringify(img.caption or {})
  if alt == '' then
    -- Quarto passes a figure's alt text as the fig-alt attribute (or alt, after its own filters).
    alt = img.attributes['fig-alt'] or img.attributes['alt'] or img.title or ''
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

-- A heading is sticky in Typst, but only to the next block: a heading and its one-paragraph
-- introduction could end a page with the table they introduce overleaf. The paragraphs between
-- a heading and the content after them are made sticky too, so the chain stays together.
local function keep_intros_with_content(blocks)
  local out = pandoc.List()
  local i = 1
  while i <= #blocks do
    out:insert(blocks[i])
    if blocks[i].t == 'Header' then
      local last = i
      while blocks[last + 1] and blocks[last + 1].t == 'Para' do
        last = last + 1
      end
      local after = blocks[last + 1]
      if last > i and after and after.t ~= 'Header' then
        out:insert(pandoc.RawBlock('typst', '#block(sticky: true, width: 100%)['))
        for k = i + 1, last do
          out:insert(blocks[k])
        end
        out:insert(pandoc.RawBlock('typst', ']'))
        i = last
      end
    end
    i = i + 1
  end
  return out
end

-- Calls fn(cell, column) for each cell of rows, column being where the cell starts: a cell
-- spanning rows above (a heading beside a spanned group, say) takes its column in the rows below.
local function each_cell(rows, fn)
  local covered = {} -- column -> rows still covered by a cell from a row above
  for _, row in ipairs(rows) do
    local col = 1
    for _, cell in ipairs(row.cells) do
      while (covered[col] or 0) > 0 do
        col = col + 1
      end
      fn(cell, col)
      for k = col, col + cell.col_span - 1 do
        covered[k] = cell.row_span -- this row counts, and is taken off below
      end
      col = col + cell.col_span
    end
    for k, left in pairs(covered) do
      covered[k] = left - 1
    end
  end
end

-- Calls fn(cell, column) for every cell of a table: head, each body's head and rows, foot.
local function each_table_cell(tbl, fn)
  each_cell(tbl.head.rows, fn)
  for _, body in ipairs(tbl.bodies) do
    each_cell(body.head, fn)
    each_cell(body.body, fn)
  end
  each_cell(tbl.foot.rows, fn)
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
    each_cell(body.body, function(cell, col)
      if cell.col_span == 1 then
        local text = pandoc.utils.stringify(cell.contents)
        if is_number(text) then
          numbers[col] = true
        elseif not MISSING[text:gsub('^%s+', ''):gsub('%s+$', '')] then
          words[col] = true
        end
      end
    end)
  end
  for i, spec in ipairs(tbl.colspecs) do
    local align = (numbers[i] and not words[i]) and pandoc.AlignRight or pandoc.AlignLeft
    tbl.colspecs[i] = { align, spec[2] }
  end
  -- A cell across several columns (title, group label, note, source) reads as text: left.
  each_table_cell(tbl, function(cell)
    if cell.col_span > 1 then
      cell.alignment = pandoc.AlignLeft
    end
  end)
  return tbl
end

-- Column widths. Typst gives a table too wide for the page a fair share per column, ignoring
-- the longest word a column must hold, so "Northamptonshire" or "Recommendations" could overprint
-- the next column. For such a table the widths are set here, as a browser sets them: each column
-- gets room for its longest word, and the space left goes to the columns with most text. Only if
-- even the longest words cannot all fit may that table hyphenate: hyphens elsewhere would break
-- names readers search for and copy. Widths are estimated for 8pt Libertinus Serif (table text,
-- headings bold) with 4pt of inset each side, on a text width of 170mm (A4 less 2cm margins; see
-- workbook.typ); the estimates err wide.
local TEXT_WIDTH_PT, INSET_PT = 481.9, 8.0

local function text_pt(s, bold)
  local width = 0
  for _, code in utf8.codes(s) do
    local c = utf8.char(code)
    if c:match('^%u$') then
      width = width + 5.6
    elseif c:match('^%l$') then
      width = width + 3.9
    elseif c:match('^%d$') then
      width = width + 4.0
    elseif c == ' ' then
      width = width + 2.0
    else
      width = width + 4.0
    end
  end
  return width * (bold and 1.05 or 1.0)
end

-- For each column: the width of its widest cell on one line, and of its longest word.
local function measure_cells(rows, bold, natural, word)
  each_cell(rows, function(cell, col)
    if cell.col_span == 1 then
      local text = pandoc.utils.stringify(cell.contents)
      natural[col] = math.max(natural[col] or 0, text_pt(text, bold) + INSET_PT)
      -- A line may break after a hyphen, so "re-offences" needs room for "offences" only.
      for piece in text:gmatch('[^%s%-]+%-?') do
        word[col] = math.max(word[col] or 0, text_pt(piece, bold) + INSET_PT)
      end
    end
  end)
end

-- Typst's widths for auto columns too wide in total: a column narrower than the fair share
-- keeps its width, the rest share what is left equally (its grid layout's shrink_auto_columns).
local function typst_widths(natural, n)
  local widths, fair, last, left, over, changed = {}, -math.huge, nil, TEXT_WIDTH_PT, n, true
  while changed and over > 0 do
    changed, last = false, fair
    fair = left / over
    for i = 1, n do
      if natural[i] <= fair and natural[i] > last then
        left, over, changed = left - natural[i], over - 1, true
      end
    end
  end
  for i = 1, n do
    widths[i] = math.min(natural[i], fair)
  end
  return widths
end

local function plan_widths(tbl)
  local n, natural, word = #tbl.colspecs, {}, {}
  measure_cells(tbl.head.rows, true, natural, word)
  for _, body in ipairs(tbl.bodies) do
    measure_cells(body.head, false, natural, word)
    measure_cells(body.body, false, natural, word)
  end
  local total_natural, total_word = 0, 0
  for i = 1, n do
    natural[i], word[i] = natural[i] or INSET_PT, word[i] or INSET_PT
    total_natural, total_word = total_natural + natural[i], total_word + word[i]
  end
  if total_natural <= TEXT_WIDTH_PT then
    return false -- fits on one line per cell: Typst's own widths
  end
  local typst = typst_widths(natural, n)
  local overprints = false
  for i = 1, n do
    overprints = overprints or word[i] > typst[i] + 0.5
  end
  if not overprints then
    return false
  end
  local widths, spare, wanted = {}, math.max(TEXT_WIDTH_PT - total_word, 0), total_natural - total_word
  for i = 1, n do
    widths[i] = word[i] + (wanted > 0 and spare * (natural[i] - word[i]) / wanted or 0)
  end
  local sum = 0
  for i = 1, n do
    sum = sum + widths[i]
  end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], widths[i] / sum }
  end
  return total_word > TEXT_WIDTH_PT -- words too long even so: hyphenate
end

-- Inline CSS on a cell -> pandoc's typst: attributes (fill, text fill, weight). Only hex colours
-- and bold are carried: anything else in a style attribute is never written into Typst source.
local function css_value(style, property)
  return style:match('%f[%w-]' .. property .. '%s*:%s*([^;]+)')
end

local function typst_colour(value)
  value = value and value:gsub('%s', ''):lower()
  if value and (value:match('^#%x%x%x$') or value:match('^#%x%x%x%x%x%x$')) then
    return 'rgb("' .. value .. '")'
  end
  return nil
end

local function style_cell(cell)
  local style = cell.attributes.style
  if not style then
    return
  end
  local fill = typst_colour(css_value(style, 'background%-color') or css_value(style, 'background'))
  local ink = typst_colour(css_value(style, 'color'))
  local weight = css_value(style, 'font%-weight')
  if fill then
    cell.attributes['typst:fill'] = fill
  end
  if ink then
    cell.attributes['typst:text:fill'] = ink
  end
  if weight and (weight:match('bold') or (tonumber(weight:match('%d+') or '') or 0) >= 600) then
    cell.attributes['typst:text:weight'] = '"bold"'
  end
  cell.attributes.style = nil
end

local function style_cells(tbl)
  each_table_cell(tbl, style_cell)
end

-- Quarto turns a table's CSS (great_tables' font stack, font-size: 90%) into typst:text: attributes,
-- which pandoc writes as an unscoped `#set text(...)` before the table: every later paragraph
-- would shrink by a tenth a table and ask for fonts the PDF does not carry. The type is the
-- template's in either engine, so font and size are dropped from the table and its cells.
local function drop_type(attributes, every_text_key)
  local dropped = {}
  for key, _ in pairs(attributes) do
    if key:match('^typst:text:') and (every_text_key or key == 'typst:text:size' or key == 'typst:text:font') then
      dropped[#dropped + 1] = key
    end
  end
  for _, key in ipairs(dropped) do
    attributes[key] = nil
  end
end

local function format_table(tbl)
  tbl = align_columns(tbl)
  drop_type(tbl.attributes, true)
  each_table_cell(tbl, function(cell) drop_type(cell.attributes, false) end)
  style_cells(tbl)
  if plan_widths(tbl) then
    return { pandoc.RawBlock('typst', '#[#set text(hyphenate: true)'), tbl, pandoc.RawBlock('typst', ']') }
  end
  return tbl
end

-- The notebook's cell and output wrappers carry no styling in the PDF. Unwrapped, a heading
-- and the chart after it are siblings, so Typst's sticky headings keep them on one page.
local function unwrap(div)
  return div.content
end

-- The contents, after the first top-level section: page one is the summary, not a list of pages.
local function contents_after_first_section(doc)
  local top = math.huge
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Header' then
      top = math.min(top, block.level)
    end
  end
  local seen = 0
  for i, block in ipairs(doc.blocks) do
    if block.t == 'Header' and block.level == top then
      seen = seen + 1
      if seen == 2 then
        doc.blocks:insert(i, pandoc.RawBlock('typst', '#wb-contents()'))
        return doc
      end
    end
  end
  return doc
end

-- Reports are published side by side (area/area.html, area/area.pdf): in the PDF, a link to
-- another report's HTML goes to that report's PDF.
local function sibling_pdf(link)
  local folder, name = link.target:match('^%.%./([%w-]+)/([%w-]+)%.html$')
  if folder and folder == name then
    link.target = '../' .. folder .. '/' .. name .. '.pdf'
    return link
  end
  return nil
end

-- Lone images become figures before the remaining images are made inline; then each chart's
-- title, figure and source are kept together, and the contents placed after the summary.
return {
  { Para = lone_image, Plain = lone_image },
  { Image = inline_image, Link = sibling_pdf },
  { Div = unwrap, Table = format_table },
  { Blocks = keep_charts_together },
  { Blocks = keep_intros_with_content },
  { Pandoc = contents_after_first_section },
}
