// @xmpp/client ships no types; the bench uses only client(), xml() and the client's events
declare module '@xmpp/client'
