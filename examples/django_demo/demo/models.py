from django.db import models


class Photo(models.Model):
    """An uploaded image; saving a new one enqueues its thumbnail (see signals.py)."""

    image = models.ImageField(upload_to="photos/")
    thumbnail = models.ImageField(upload_to="thumbs/", blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-uploaded_at",)
