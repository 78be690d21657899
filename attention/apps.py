from django.apps import AppConfig


class AttentionConfig(AppConfig):
    name = "attention"
    verbose_name = "Needs attention"
