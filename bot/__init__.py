"""Tier0's Rasa assistant: domain, endpoints and custom actions that answer from ``kb``.

The Rasa server runs in its own Python 3.10 environment (``make rasa-env``); the custom actions run
in Tier0's main environment with rasa-sdk. The assistant itself arrives with the chatbot issue.
"""
