/**
 * When the page is going away (or may be: a hidden tab on mobile can be killed without another
 * event), and when it comes back. `visibilitychange` to hidden is the last event browsers reliably
 * fire on mobile; `pagehide` covers desktop unloads and bfcache entries.
 */
export type HideReason = 'pagehide' | 'hidden';

export interface PageHandlers {
  onHide(reason: HideReason): void;
  onShow(): void;
}

export interface PageEvents {
  /** Returns the function that removes the listeners again. */
  subscribe(handlers: PageHandlers): () => void;
}

export function createBrowserPageEvents(): PageEvents | undefined {
  if (typeof window === 'undefined' || typeof document === 'undefined') return undefined;
  return {
    subscribe(handlers) {
      const onPageHide = (): void => handlers.onHide('pagehide');
      const onPageShow = (event: PageTransitionEvent): void => {
        if (event.persisted) handlers.onShow();
      };
      const onVisibility = (): void => {
        if (document.visibilityState === 'hidden') handlers.onHide('hidden');
        else handlers.onShow();
      };
      window.addEventListener('pagehide', onPageHide);
      window.addEventListener('pageshow', onPageShow);
      document.addEventListener('visibilitychange', onVisibility);
      return () => {
        window.removeEventListener('pagehide', onPageHide);
        window.removeEventListener('pageshow', onPageShow);
        document.removeEventListener('visibilitychange', onVisibility);
      };
    },
  };
}
