// A helper's errno as r0 holds it: the negative errno sign-extended to 64 bits, once per name.
import { errnoByCode, type ErrnoCode } from '../../uapi/errno.js';

const r0 = (code: ErrnoCode): bigint => BigInt.asUintN(64, BigInt(-errnoByCode[code]));

export const HelperErrno = {
  EINVAL: r0('EINVAL'), EACCES: r0('EACCES'), EFAULT: r0('EFAULT'), ENOMEM: r0('ENOMEM'), ENODEV: r0('ENODEV'), E2BIG: r0('E2BIG'),
  EPROTO: r0('EPROTO'), EALREADY: r0('EALREADY'), EAFNOSUPPORT: r0('EAFNOSUPPORT'), ENOTSUPP: r0('ENOTSUPP'),
} as const;
