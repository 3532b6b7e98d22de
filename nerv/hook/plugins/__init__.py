"""The features that plug into the hook through nerv.hook.extensions: budget warning and guard, path-lease
guard, resume brief, transcript import. Stdlib only; each module is imported only when its event runs."""
