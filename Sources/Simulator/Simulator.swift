// The Simulator target; see DESIGN.md.
