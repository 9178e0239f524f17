// trustdesk agent console: sign-in, a live inbox, the conversation view with
// replies, internal notes and status changes, the admin pages. REST for
// reads and commands, the WebSocket (protocol v1) for everything live. All
// user content is inserted with textContent, never as HTML.
//
// One module per view, sharing state.js:
//   session.js       sign-in, 2FA, the socket and its frames, language, boot
//   inbox.js         filters and the live conversation list
//   conversation.js  the open conversation's events
//   composer.js      replies and notes through the shared outbox, canned responses
//   details.js       customer, SLA clocks, related conversations, KB suggestions
//   actions.js       status, assign, transfer, snooze, reminders, files, shortcuts
//   labels.js        the open conversation's labels and the macro menu
//   admin.js         the admin pages (supervisors and admins); automation.js
//                    is its rules and macros page
import './inbox.js';
import './conversation.js';
import './composer.js';
import './details.js';
import './actions.js';
import './labels.js';
import { boot } from './session.js';

boot();
