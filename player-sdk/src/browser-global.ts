/**
 * Entry of the script-tag bundle (`dist/streamloop-player.min.js`, global `StreamloopPlayer`),
 * which includes video.js so a page needs one script and one stylesheet, and registers the
 * `<streamloop-player>` element.
 */
import { definePlayerElement } from './player-element.js';

export { default as videojs } from 'video.js';
export { createPlayer, monitor, SDK_VERSION } from './index.js';
export { definePlayerElement };

if (typeof customElements !== 'undefined') definePlayerElement();
