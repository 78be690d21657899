"""Static files for production: WhiteNoise's hashed names and gzip copies, minus source maps."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Rewrites `url()` and `@import` in CSS to hashed names, as Django does, but leaves
    `sourceMappingURL` comments alone: the vendored Bootstrap files name source maps that
    are not shipped, and collectstatic would refuse to finish over a debugging aid."""

    patterns = (("*.css", tuple(CompressedManifestStaticFilesStorage.patterns[0][1][:2])),)
