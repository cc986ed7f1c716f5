"""Live updates: the Hub (publish/subscribe) and the websocket endpoints with their protocols."""
