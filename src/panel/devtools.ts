// The devtools page: it only registers the "SSE Connections" panel.
import browser from 'webextension-polyfill';

// A leading slash: Firefox resolves the path against this page, Chrome against the extension root.
void browser.devtools.panels.create('SSE Connections', '', '/src/panel/panel.html');
