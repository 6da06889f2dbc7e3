/**
 * MAIN-world entry, injected at document_start in every frame, before the
 * page's first script. Built as one synchronous IIFE (the `.iife.ts` name tells
 * crxjs so). No chrome.* here: this is the page's
 * own JavaScript world. See docs/instrumentation.md.
 */
import { installMainWorld } from './install';

installMainWorld(window);
