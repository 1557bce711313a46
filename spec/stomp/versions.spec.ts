import { negotiateVersion, SUBPROTOCOLS, SUPPORTED_VERSIONS } from '../../broker/stomp/versions';

// STOMP 1.2 §"Protocol Negotiation": the server answers with the highest version both speak;
// a CONNECT without accept-version is a STOMP 1.0 client.
describe('negotiateVersion', () => {
  it.each([
    [undefined, '1.0'],
    ['1.2,1.1,1.0', '1.2'],
    ['1.0,1.1,1.2', '1.2'],
    ['1.1,1.0', '1.1'],
    ['1.2', '1.2'],
    ['1.1', '1.1'],
    ['1.0', '1.0'],
    ['1.3,1.1', '1.1'],
    ['1.2, 1.1, 1.0', '1.2'],
    [' 1.1 ', '1.1'],
    ['1.0 ,1.1', '1.1'],
  ])('picks %j → %s', (acceptVersion, version) => {
    expect(negotiateVersion(acceptVersion)).toBe(version);
  });

  it.each([['1.3'], ['2.0,1.3'], [''], [','], ['1'], ['1.2.0'], ['v12.stomp']])('finds no common version in %j', (acceptVersion) => {
    expect(negotiateVersion(acceptVersion)).toBeUndefined();
  });

  it('lists the supported versions newest first', () => {
    expect(SUPPORTED_VERSIONS).toEqual(['1.2', '1.1', '1.0']);
  });

  it('lists the WebSocket subprotocols newest first', () => {
    expect(SUBPROTOCOLS).toEqual(['v12.stomp', 'v11.stomp', 'v10.stomp']);
  });
});
