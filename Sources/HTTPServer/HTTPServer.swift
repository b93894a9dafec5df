// The HTTPServer target; see DESIGN.md.
