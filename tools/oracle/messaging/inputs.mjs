// Inputs of the messaging conformance cases, written by hand. Every expectation in
// tests/conformance/messaging.json is what the official client did with them
// (generate.mjs); only `ivschat` deviations are declared here, with the reason.

const T = '2022-10-11T12:46:41.723Z';
const j = (o) => JSON.stringify(o);

const sender = { UserId: 'alice', Attributes: { displayName: 'Alice' } };
const message = (extra = {}) => ({
  Type: 'MESSAGE',
  Id: 'Msg000000001',
  RequestId: 'e4a02696-3109-4535-9180-a6674fd2822b',
  Content: 'hello world',
  Attributes: { color: 'blue' },
  SendTime: T,
  Sender: sender,
  ...extra,
});
const without = (o, ...keys) => {
  const c = { ...o };
  for (const k of keys) delete c[k];
  return c;
};
const event = (extra = {}) => ({
  Type: 'EVENT',
  Id: 'Evt000000001',
  EventName: 'app:user_joined',
  Attributes: { userId: 'bob' },
  SendTime: T,
  ...extra,
});
const del = (attributes, extra = {}) =>
  event({ Id: 'Evt000000004', EventName: 'aws:DELETE_MESSAGE', Attributes: attributes, ...extra });
const kick = (attributes, extra = {}) =>
  event({ Id: 'Evt000000005', EventName: 'aws:DISCONNECT_USER', Attributes: attributes, ...extra });
const error = (extra = {}) => ({
  Type: 'ERROR',
  Id: 'Err000000001',
  RequestId: 'cc282a4e-11bf-4a8a-bcd5-e4559bbb3042',
  ErrorCode: 403,
  ErrorMessage: 'Forbidden: capability SEND_MESSAGE is required',
  ...extra,
});

const dateDeviation = {
  then: [{ rejected: { field: 'SendTime' } }],
  note: 'SendTime is RFC 3339 (or YYYY-MM-DD) in ivschat; V8 also accepts this through its lenient, implementation-specific Date fallback',
};

// kind "frames": the server sends `frames` (text) in order to a fresh room; `pending` requests
// (plain objects, fixed RequestId) are made before the first frame.
export const frameCases = [
  // Spec §4.3 shape matrix.
  { id: 'frame.message.01-canonical', frames: [j(message())] },
  { id: 'frame.message.02-no-optionals', frames: [j({ ...without(message(), 'RequestId', 'Attributes'), Sender: { UserId: 'alice' } })] },
  { id: 'frame.message.03-nulls-no-fraction', frames: [j(message({ RequestId: null, Attributes: null, Sender: { UserId: 'alice', Attributes: null }, SendTime: '2022-10-11T12:46:41Z' }))] },
  { id: 'frame.message.04-nanoseconds', frames: [j(message({ SendTime: '2022-10-11T12:46:41.723456789Z' }))] },
  { id: 'frame.message.05-unknown-fields', frames: [j(message({ Extra: 1, Nested: { a: [1, 2] }, Sender: { ...sender, Ip: '10.0.0.1' } }))] },
  { id: 'frame.message.06-duplicate-id', frames: [j(message()), j(message({ Content: 'again' }))] },
  { id: 'frame.message.07-no-sender', frames: [j(without(message(), 'Sender'))] },
  { id: 'frame.message.08-attribute-not-string', frames: [j(message({ Attributes: { n: 1 } }))] },
  { id: 'frame.message.09-sendtime-words', frames: [j(message({ SendTime: 'yesterday' }))] },
  { id: 'frame.message.10-sendtime-epoch-number', frames: [j(message({ SendTime: 1665492401723 }))] },
  { id: 'frame.message.11-type-lower-case', frames: [j(message({ Type: 'message' }))] },
  {
    id: 'frame.message.12-camel-case-keys',
    frames: [j({ type: 'MESSAGE', id: 'Msg000000001', content: 'hello', sendTime: T, sender: { userId: 'alice' } })],
  },
  { id: 'frame.message.13-no-id', frames: [j(without(message(), 'Id'))] },
  { id: 'frame.event.14-custom-without-attributes', frames: [j(without(event(), 'Attributes'))] },
  { id: 'frame.event.15-delete-only-MessageId', frames: [j(del({ MessageId: 'Msg000000001', Reason: 'spam' }))] },
  { id: 'frame.event.16-delete-MessageID-and-MessageId', frames: [j(del({ MessageID: 'Msg000000001', MessageId: 'Msg000000001', Reason: 'spam' }, { RequestId: 'f09cb5c7-2715-4ed4-958e-f40d8c99ace4' }))] },
  { id: 'frame.event.17-disconnect-user', frames: [j(kick({ UserId: 'mallory', Reason: 'abuse' }, { RequestId: '619a728d-c7c8-4e32-97ed-83a149fa9568' }))] },
  { id: 'frame.event.18-no-sendtime', frames: [j(without(event(), 'SendTime'))] },
  { id: 'frame.error.19-no-request-id', frames: [j(without(error(), 'RequestId'))] },
  { id: 'frame.error.20-code-as-string', frames: [j(error({ ErrorCode: '429' }))] },
  { id: 'frame.invalid.21-not-json', frames: ['this is not JSON'] },
  { id: 'frame.invalid.22-json-array', frames: ['[{"Type":"MESSAGE"}]'] },
  {
    id: 'frame.message.23-captured-attributes-null',
    frames: [j({ Attributes: null, Content: 'hi', Id: 'M2YcHkgffEvU', RequestId: '', Sender: { Attributes: { name: 'x' }, UserId: 'u-1' }, SendTime: '2022-12-05T15:30:40.123456789Z', Type: 'MESSAGE' })],
  },
  {
    id: 'frame.event.24-captured-empty-request-id',
    frames: [j({ Attributes: { a: 'b' }, EventName: 'app:custom', Id: 'E2YcHkgffEvU', RequestId: '', SendTime: '2022-12-05T15:30:40.12345Z', Type: 'EVENT' })],
  },
  {
    id: 'frame.event.25-captured-delete',
    frames: [j({ Attributes: { MessageID: 'M2YcHkgffEvU', Reason: 'bad' }, EventName: 'aws:DELETE_MESSAGE', Id: 'D2YcHkgffEvU', RequestId: '', SendTime: '2022-12-05T15:30:41.5Z', Type: 'EVENT' })],
  },
  { id: 'frame.error.26-empty-request-id', frames: [j(error({ RequestId: '' }))] },

  // Correlation with pending requests (spec §4.5).
  { id: 'frame.correlate.message-resolves-send', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-1' }], frames: [j(message({ RequestId: 'r-1' }))] },
  { id: 'frame.correlate.delete-resolves-delete', pending: [{ action: 'DELETE_MESSAGE', requestId: 'r-2' }], frames: [j(del({ MessageID: 'Msg000000001' }, { RequestId: 'r-2' }))] },
  { id: 'frame.correlate.kick-resolves-disconnect', pending: [{ action: 'DISCONNECT_USER', requestId: 'r-3' }], frames: [j(kick({ UserId: 'mallory' }, { RequestId: 'r-3' }))] },
  { id: 'frame.correlate.error-rejects-send', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-4' }], frames: [j(error({ RequestId: 'r-4' }))] },
  { id: 'frame.correlate.error-rejects-delete', pending: [{ action: 'DELETE_MESSAGE', requestId: 'r-5' }], frames: [j(error({ RequestId: 'r-5', ErrorCode: 404, ErrorMessage: 'Not Found' }))] },
  { id: 'frame.correlate.wrong-kind-does-not-resolve', pending: [{ action: 'DELETE_MESSAGE', requestId: 'r-6' }], frames: [j(message({ RequestId: 'r-6' }))] },
  { id: 'frame.correlate.custom-event-does-not-resolve', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-7' }], frames: [j(event({ RequestId: 'r-7' }))] },
  { id: 'frame.correlate.unknown-request-id', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-8' }], frames: [j(message({ RequestId: 'someone-else' }))] },
  { id: 'frame.correlate.error-other-request', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-9' }], frames: [j(error({ RequestId: 'someone-else', ErrorCode: 429, ErrorMessage: 'Too Many Requests' }))] },
  { id: 'frame.correlate.rejected-frame-does-not-settle', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-10' }], frames: [j(without(message({ RequestId: 'r-10' }), 'Sender'))] },

  // ERROR 401: reconnect with a fresh token (spec §5).
  { id: 'frame.error.401-reconnects', frames: [j(without(error({ ErrorCode: 401, ErrorMessage: 'Unauthorized: token expired' }), 'RequestId'))] },
  { id: 'frame.error.401-rejects-and-reconnects', pending: [{ action: 'SEND_MESSAGE', requestId: 'r-11' }], frames: [j(error({ RequestId: 'r-11', ErrorCode: 401, ErrorMessage: 'Unauthorized' }))] },

  // De-duplication by Id (spec §4.7).
  { id: 'frame.dedupe.across-types', frames: [j(message({ Id: 'same' })), j(event({ Id: 'same' })), j(error({ Id: 'same' }))] },
  { id: 'frame.dedupe.rejected-frame-consumes-id', frames: [j(without(message({ Id: 'X1' }), 'Sender')), j(message({ Id: 'X1' }))] },
  { id: 'frame.dedupe.unknown-type-consumes-id', frames: [j({ Type: 'PING', Id: 'X2' }), j(message({ Id: 'X2' }))] },
  { id: 'frame.dedupe.distinct-ids', frames: [j(message({ Id: 'A' })), j(message({ Id: 'B' }))] },

  // Field rules (spec §4.2), one failing field at a time.
  { id: 'frame.message.sender-not-object', frames: [j(message({ Sender: 'alice' }))] },
  { id: 'frame.message.sender-array', frames: [j(message({ Sender: [sender] }))] },
  { id: 'frame.message.no-user-id', frames: [j(message({ Sender: { Attributes: {} } }))] },
  { id: 'frame.message.user-id-number', frames: [j(message({ Sender: { UserId: 7 } }))] },
  { id: 'frame.message.sender-attribute-not-string', frames: [j(message({ Sender: { UserId: 'a', Attributes: { admin: true } } }))] },
  { id: 'frame.message.no-content', frames: [j(without(message(), 'Content'))] },
  { id: 'frame.message.content-null', frames: [j(message({ Content: null }))] },
  { id: 'frame.message.content-empty', frames: [j(message({ Content: '' }))] },
  { id: 'frame.message.content-unicode', frames: [j(message({ Content: 'héllo 👋 "quoted" \\ \n\t\u0001 \u2028' }))] },
  { id: 'frame.message.request-id-number', frames: [j(message({ RequestId: 12 }))] },
  { id: 'frame.message.attributes-array', frames: [j(message({ Attributes: ['a'] }))] },
  { id: 'frame.message.attributes-string', frames: [j(message({ Attributes: 'color=blue' }))] },
  { id: 'frame.message.attributes-empty', frames: [j(message({ Attributes: {} }))] },
  { id: 'frame.message.attribute-null-value', frames: [j(message({ Attributes: { a: null } }))] },
  { id: 'frame.message.id-number', frames: [j(message({ Id: 1 }))] },
  { id: 'frame.message.id-empty', frames: [j(message({ Id: '' }))] },
  { id: 'frame.message.sender-checked-before-id', frames: [j(without(message(), 'Sender', 'Id'))] },
  { id: 'frame.message.duplicate-json-keys-last-wins', frames: ['{"Type":"MESSAGE","Id":"first","Id":"second","Content":"a","Content":"b","SendTime":"2022-10-11T12:46:41.723Z","Sender":{"UserId":"alice"}}'] },
  { id: 'frame.message.whitespace-around', frames: ['  \n' + j(message()) + '\n  '] },
  { id: 'frame.message.escaped-keys', frames: ['{"\\u0054ype":"MESSAGE","Id":"Esc","Content":"\\u0068i","SendTime":"2022-10-11T12:46:41.723Z","Sender":{"UserId":"alice"}}'] },
  { id: 'frame.event.no-event-name', frames: [j(without(event(), 'EventName'))] },
  { id: 'frame.event.attributes-not-string', frames: [j(event({ Attributes: { count: 2 } }))] },
  { id: 'frame.event.request-id-present', frames: [j(event({ RequestId: 'r-x' }))] },
  { id: 'frame.event.delete-no-attributes', frames: [j(without(del({}), 'Attributes'))] },
  { id: 'frame.event.delete-no-reason', frames: [j(del({ MessageID: 'Msg000000001' }))] },
  { id: 'frame.event.delete-MessageID-empty', frames: [j(del({ MessageID: '' }))] },
  { id: 'frame.event.kick-no-user-id', frames: [j(kick({ Reason: 'abuse' }))] },
  { id: 'frame.event.kick-lower-user-id-key', frames: [j(kick({ userId: 'mallory' }))] },
  { id: 'frame.event.aws-name-lower-case', frames: [j(event({ EventName: 'aws:delete_message' }))] },
  { id: 'frame.error.no-error-message', frames: [j(without(error(), 'ErrorMessage'))] },
  { id: 'frame.error.no-error-code', frames: [j(without(error(), 'ErrorCode'))] },
  { id: 'frame.error.code-exponent', frames: [j(error({ ErrorCode: 1e3 })).replace('"ErrorCode":1000', '"ErrorCode":1e3')] },
  {
    id: 'frame.error.code-fraction',
    frames: [j(error({ ErrorCode: 403.5 }))],
    ivschat: { then: [{ rejected: { field: 'ErrorCode' } }], note: 'ErrorCode is an integer in ivschat (a JS number in the official client)' },
  },
  { id: 'frame.error.request-id-number', frames: [j(error({ RequestId: 5 }))] },
  { id: 'frame.invalid.json-null', frames: ['null'] },
  { id: 'frame.invalid.json-string', frames: ['"MESSAGE"'] },
  { id: 'frame.invalid.json-number', frames: ['42'] },
  { id: 'frame.invalid.empty', frames: [''] },
  { id: 'frame.invalid.truncated', frames: [j(message()).slice(0, 40)] },
  { id: 'frame.invalid.no-type', frames: [j(without(message(), 'Type'))] },
  { id: 'frame.invalid.type-number', frames: [j(message({ Type: 1 }))] },
  { id: 'frame.invalid.unknown-type', frames: [j({ Type: 'JOIN', Id: 'J1' })] },

  // SendTime forms (JavaScript `new Date(string)`).
  { id: 'frame.sendtime.offset', frames: [j(message({ SendTime: '2022-10-11T14:46:41.723+02:00' }))] },
  { id: 'frame.sendtime.lower-case-z', frames: [j(message({ SendTime: '2022-10-11T12:46:41.723z' }))] },
  { id: 'frame.sendtime.one-fraction-digit', frames: [j(message({ SendTime: '2022-10-11T12:46:41.7Z' }))] },
  { id: 'frame.sendtime.date-only', frames: [j(message({ SendTime: '2022-10-11' }))] },
  { id: 'frame.sendtime.before-epoch', frames: [j(message({ SendTime: '1969-07-20T20:17:40Z' }))] },
  { id: 'frame.sendtime.empty', frames: [j(message({ SendTime: '' }))] },
  { id: 'frame.sendtime.month-13', frames: [j(message({ SendTime: '2022-13-11T12:46:41Z' }))] },
  { id: 'frame.sendtime.null', frames: [j(message({ SendTime: null }))] },
  { id: 'frame.sendtime.http-date', frames: [j(message({ SendTime: 'Tue, 11 Oct 2022 12:46:41 GMT' }))], ivschat: dateDeviation },
  { id: 'frame.sendtime.no-offset', frames: [j(message({ SendTime: '2022-10-11T12:46:41.723' }))], ivschat: { ...dateDeviation, note: 'JavaScript reads a date-time without an offset as local time (UTC on the oracle); ivschat requires an offset' } },
  { id: 'frame.sendtime.space-separator', frames: [j(message({ SendTime: '2022-10-11 12:46:41Z' }))] },
];

// kind "request": the official request class built from `input` (RequestId set after
// construction, as a caller may), sent on a live room; the frame the server received.
export const requestCases = [
  { id: 'request.send.with-attributes', input: { action: 'SEND_MESSAGE', requestId: 'e4a02696-3109-4535-9180-a6674fd2822b', content: 'hello world', attributes: { color: 'blue' } } },
  { id: 'request.send.no-attributes', input: { action: 'SEND_MESSAGE', requestId: '7aedafe3-0511-4f56-9302-30f34a029e69', content: 'no attributes' } },
  { id: 'request.send.empty-attributes', input: { action: 'SEND_MESSAGE', requestId: 'r-1', content: 'x', attributes: {} } },
  { id: 'request.send.several-attributes', input: { action: 'SEND_MESSAGE', requestId: 'r-2', content: 'x', attributes: { a: '1', b: '', c: 'ü' } } },
  { id: 'request.send.empty-content', input: { action: 'SEND_MESSAGE', requestId: 'r-3', content: '' } },
  { id: 'request.send.unicode-and-escapes', input: { action: 'SEND_MESSAGE', requestId: 'r-4', content: 'héllo 👋 "q" \\ / \n\t\u0001\u001f \u2028 <>&' } },
  { id: 'request.send.own-request-id', input: { action: 'SEND_MESSAGE', requestId: 'my-own-request-id', content: 'x' } },
  { id: 'request.send.fresh-request-id', input: { action: 'SEND_MESSAGE', content: 'fresh' } },
  { id: 'request.delete.with-reason', input: { action: 'DELETE_MESSAGE', requestId: 'f09cb5c7-2715-4ed4-958e-f40d8c99ace4', id: 'Msg000000001', reason: 'spam' } },
  { id: 'request.delete.no-reason', input: { action: 'DELETE_MESSAGE', requestId: 'r-5', id: 'Msg000000001' } },
  { id: 'request.delete.fresh-request-id', input: { action: 'DELETE_MESSAGE', id: 'Msg000000001' } },
  { id: 'request.disconnect.with-reason', input: { action: 'DISCONNECT_USER', requestId: '619a728d-c7c8-4e32-97ed-83a149fa9568', userId: 'mallory', reason: 'abuse' } },
  { id: 'request.disconnect.no-reason', input: { action: 'DISCONNECT_USER', requestId: 'r-6', userId: 'mallory' } },
  { id: 'request.disconnect.fresh-request-id', input: { action: 'DISCONNECT_USER', userId: 'mallory' } },
];

// kind "endpoint": ChatRoom's regionOrUrl -> the URL it dials, or the constructor's error.
export const endpointCases = [
  { id: 'endpoint.region', regionOrUrl: 'us-west-2' },
  { id: 'endpoint.region-all-allowed-characters', regionOrUrl: 'a-b.c_d~9' },
  { id: 'endpoint.ws-url-verbatim', regionOrUrl: 'ws://127.0.0.1:4580/emulator/rooms/my-room?foo=bar' },
  { id: 'endpoint.wss-url', regionOrUrl: 'wss://chat.example.com' },
  { id: 'endpoint.http-url', regionOrUrl: 'http://127.0.0.1:4580' },
  { id: 'endpoint.spaces', regionOrUrl: 'us west 2' },
  { id: 'endpoint.empty', regionOrUrl: '' },
  { id: 'endpoint.slash', regionOrUrl: 'us-west-2/x' },
];
