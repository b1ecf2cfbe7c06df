"""Learning ambassadors, requests for a conversation and conversation logs (see issue 6)."""
