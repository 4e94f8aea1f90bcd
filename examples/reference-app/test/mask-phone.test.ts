import { maskPhone } from '../src/mask-phone.js';

describe('maskPhone', () => {
  it.each([
    ['+447700900123', '+44•••••••23'],
    ['+15551234567', '+15•••••••67'],
    // the longest and shortest E.164 numbers: seven bullets either way, so the mask never tells the length
    ['+123456789012345', '+12•••••••45'],
    ['+1234567', '+12•••••••67'],
  ])('masks %s as %s', (number, masked) => {
    expect(maskPhone(number)).toBe(masked);
  });

  it.each(['', '07700900123', '+44 7700 900123', '+0123456789', '+1234567890123456'])(
    'masks a non-E.164 value %p entirely',
    (value) => {
      expect(maskPhone(value)).toBe('•••');
    },
  );
});
