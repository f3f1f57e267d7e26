/** The error `fn` throws (undefined when it returns), for asserting on its fields. Test-only. */
export const thrownBy = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};
