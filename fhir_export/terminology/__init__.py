"""The shipped offline lexicon and the matcher over it."""

from .lookup import Lexicon, Match, Token, default_lexicon, normalize, tokenize, unmarked

__all__ = ["Lexicon", "Match", "Token", "default_lexicon", "normalize", "tokenize", "unmarked"]
