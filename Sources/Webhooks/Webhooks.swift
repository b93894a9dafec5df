// The Webhooks target; see DESIGN.md.
