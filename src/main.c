#include "store/store.h"
int main(void) { return 0; }
