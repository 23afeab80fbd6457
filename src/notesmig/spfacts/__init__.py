"""What SharePoint Online is, as facts both sides need: the loader obeys them and the emulator
enforces them. Names and their rules, column facets and system fields, limits, resource-unit
costs, role definitions and quickXorHash. Nothing here talks to a service or imports one side.
"""
