from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "insats.core"
    verbose_name = "Insats"

    def ready(self) -> None:
        from . import db

        db.install()
