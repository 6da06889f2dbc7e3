/** Installs the page instrumentation into one window, once. */
import { installBroadcastChannel } from './broadcast-channel';
import { now, setSink } from './context';
import { beforeAddListener, installEventSource } from './event-source';
import { installFaults, setFaultsFromConfig } from './faults';
import { installFetch } from './fetch-stream';
import { isOn, safely, setFailureReporter, turnOff } from './guard';
import { HOOK_NAME, installHook } from './hook';
import { maskToString, wrapMethod } from './native-look';
import { getOwnPropertyDescriptor } from './natives';
import { createPageTransport } from './page-transport';
import { installWebLocks } from './web-locks';

export function installMainWorld(win: Window & typeof globalThis): void {
  // The hook doubles as the "installed" mark: one instrumentation per document.
  if (getOwnPropertyDescriptor(win, HOOK_NAME)) return;
  try {
    const addEventListener = win.EventTarget.prototype.addEventListener;
    const batcher = createPageTransport(win, addEventListener, (config) => safely('faults', () => setFaultsFromConfig(config)));
    installFaults(win, (json) => batcher.sendRaw(json));
    setSink((event) => batcher.push(event));
    setFailureReporter((message) => batcher.push({ kind: 'wrapper:error', t: now(), message }));
    maskToString();
    installHook(win);
    installEventSource(win, addEventListener);
    installBroadcastChannel(win, addEventListener);
    installWebLocks(win, addEventListener);
    installFetch(win);
    wrapMethod(win.EventTarget.prototype, 'addEventListener', {
      before(thisArg, args) {
        if (beforeAddListener && isOn() && typeof thisArg === 'object' && thisArg !== null) {
          const hook = beforeAddListener;
          safely('addEventListener', () => hook(thisArg, args[0]));
        }
        return undefined;
      },
    });
  } catch (error) {
    turnOff('install', error);
  }
}
