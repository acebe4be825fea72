"""A model signal that enqueues work: each new Photo gets a thumbnail, made by a worker."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Photo
from .tasks import make_thumbnail


@receiver(post_save, sender=Photo)
def thumbnail_new_photo(sender, instance, created, **kwargs):
    if created:
        make_thumbnail.delay(instance.pk)  # sent when the transaction commits
