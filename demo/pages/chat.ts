import { startChat } from './chat-app.js';

startChat('eventsource');
