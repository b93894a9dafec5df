// The Operator target; see DESIGN.md.
