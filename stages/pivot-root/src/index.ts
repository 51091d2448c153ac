import { defineStage, requireNamespace, type ContainerContext } from '@isolate/core';
import { MS, MNT, isSysError } from '@isolate/sys';

export interface PivotRootSettings {
  fallback: boolean;
}

export default defineStage<PivotRootSettings>({
  contract: 1,
  name: 'pivot-root',
  description: 'Makes the new root the process root with pivot_root and detaches the old one (MS_MOVE + chroot where pivot_root is impossible).',
  phase: 'pivot',
  requires: ['rootfs'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fallback: {
        type: 'boolean',
        default: true,
        description: 'when pivot_root is impossible (a root on initramfs), move the root with MS_MOVE and chroot, with a warning',
      },
    },
  },
  container(hooks, s) {
    hooks.pivot.tap('pivot-root', (ctx) => {
      requireNamespace(ctx, 'mount', 'change the root');
      ctx.step(`chdir ${ctx.root}`);
      ctx.sys.chdir(ctx.root);
      try {
        ctx.step('pivot_root into the new root');
        // pivot_root(".", ".") stacks the old root on top of the new one: no directory for it
        // is needed in the new root, and one detach removes it.
        ctx.sys.pivotRoot('.', '.');
      } catch (err) {
        if (!(s.fallback && isSysError(err) && err.code === 'EINVAL')) throw err;
        moveAndChroot(ctx);
        return;
      }
      ctx.step('detach the old root');
      // Keep the detach from propagating anywhere, then drop the old root.
      ctx.sys.mount(null, '.', null, MS.SLAVE | MS.REC, null);
      ctx.sys.umount2('.', MNT.DETACH);
      ctx.step('chdir /');
      ctx.sys.chdir('/');
      ctx.root = '/';
      ctx.pivoted = true;
    });
  },
});

function moveAndChroot(ctx: ContainerContext): void {
  ctx.warn(`pivot_root is not possible here (EINVAL: the current root cannot be pivoted, e.g. initramfs); using MS_MOVE and chroot, which leaves the old root reachable to a process with CAP_SYS_CHROOT`);
  ctx.step('move the new root onto /');
  ctx.sys.mount(ctx.root, '/', null, MS.MOVE, null);
  ctx.step('chroot .');
  ctx.sys.chroot('.');
  ctx.sys.chdir('/');
  ctx.root = '/';
  ctx.pivoted = true;
}
