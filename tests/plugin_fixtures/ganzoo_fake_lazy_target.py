"""A registry target; tests check it is imported only by ``Spec.load()``."""


class Factory:
    class Nested:
        @staticmethod
        def build() -> str:
            return "built"


def build() -> str:
    return "built"
