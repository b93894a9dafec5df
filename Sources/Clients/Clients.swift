// The Clients target; see DESIGN.md.
