"""Chart data and wording without drawing: each chart's prepare (tidy frame) and describe (words)."""
