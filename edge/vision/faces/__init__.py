"""Face recognition at the gates: models, encodings, and the gallery of residents' templates.

The gallery (:mod:`~edge.vision.faces.gallery`) holds every live template in one
float32 matrix for 1:N matching; :mod:`~edge.vision.faces.gallery_store` keeps it
in step with the ``face_templates`` table the district and local enrollment fill.
"""
