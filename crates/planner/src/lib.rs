//! plan(desired, live): an ordered, reviewable plan, and its text, JSON and Markdown renderings.
