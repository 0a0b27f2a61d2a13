/* Help centre behaviour (instant search). */
