// The sign-in form both pages share (#signin-username, #signin-password, #signin-submit,
// #signin-error): signs in, clears the password either way, and hands the session to the page.
import * as api from '/api.js';
import { $, busy, status } from '/dom.js';

export async function submitSignIn(e, enter) {
  e.preventDefault();
  const pass = $('#signin-password');
  await busy($('#signin-submit'), async () => {
    try {
      const s = await api.signIn($('#signin-username').value.trim(), pass.value);
      pass.value = '';
      status($('#signin-error'), '');
      await enter(s);
    } catch (err) {
      pass.value = '';
      status($('#signin-error'), api.signInError(err), 'error');
      // Back to the field to type again; the error (role=alert) is announced.
      pass.focus();
    }
  });
}
