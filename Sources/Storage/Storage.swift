// The Storage target; see DESIGN.md.
