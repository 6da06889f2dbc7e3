// The devtools page: it only registers the "SSE Connections" panel.
import browser from 'webextension-polyfill';

void browser.devtools.panels.create('SSE Connections', '', 'src/panel/panel.html');
