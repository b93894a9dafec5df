// The Audit target; see DESIGN.md.
