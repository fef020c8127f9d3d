"""The partner survey: partners rate statements about the teams they work with, through a
personal link that needs no login, and their verdict stands beside what the hub measured.

Answers are stored per partner organisation and shown only as aggregates of at least five
partners, masked like every figure a manager sees; no team ever sees a partner's answers.
"""
