"""Applications built on the library: the ``siamfc`` command (:mod:`.cli`), video tracking with drawing
(:mod:`.track_video`, :mod:`.debug_overlay`, :mod:`.box_arg`), the demo, the speed bench, the browser demo
(:mod:`.serve`) and the TraX entry for the VOT toolkit (:mod:`.trax`). Nothing in the library imports from here."""
